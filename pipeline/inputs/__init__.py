"""Reading the raw exports: file readers, value parsing, Excel error cells."""
