"""One module per subcommand of run_pipeline.py; each defines HELP, add_arguments(parser) and run(args)."""
