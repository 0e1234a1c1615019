"""What comes in: checks of the raw input files before dbt reads them."""
