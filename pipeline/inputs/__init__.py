"""Reading the raw exports: one reader per format (csv_reader with csv_dialect, csv_limits and
csv_fast; sav_reader; xlsx_reader with excel_errors), dispatched by readers; what they
return (export); value parsing (values)."""
