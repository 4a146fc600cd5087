"""What the study is: its config, codebook, analysis plan, schema, errors and personal-data
rules."""
