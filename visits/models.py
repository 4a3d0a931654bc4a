# Visiting-researcher stays (Workspace, Visit) arrive with the stays issue.
