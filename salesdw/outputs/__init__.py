"""What goes out of the published warehouse: CSV exports, the HTML report, the printed insights."""
