"""Browser tests of the dashboards (Chromium through Playwright)."""
