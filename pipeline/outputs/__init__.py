"""Writing outputs: atomic files, CSV, transactions, data packages, provenance, the catalog of artifacts, workbook, SPSS, run summary, console and version."""
