"""What people see of a submission, made safe: feedback without hidden tests, inert outputs and markdown, a
Content-Security-Policy on the pages, and text that is safe in terminals and spreadsheets."""
