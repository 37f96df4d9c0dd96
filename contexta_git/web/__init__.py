"""Seeing runs: charts in the terminal, self-contained HTML pages and a local read-only web view.

Above analysis and release (it draws what they compute), below the command line."""
