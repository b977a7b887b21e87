"""Tables, figures, merged claims and REPORT.md."""
