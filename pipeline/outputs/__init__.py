"""Writing outputs: atomic files, CSV, transactions, data packages, provenance, the catalog
of artifacts, the workbook, SPSS files, the run summary, the console and the version."""
