"""The benchmark (`run_pipeline.py bench`): inputs, measured subprocess builds, baselines, the table."""
