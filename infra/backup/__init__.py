"""Config backups: `infra backup` pulls every device's running config into the backup repository
(infra.state.backups: a git repository, one file per device, one commit per run, secrets
masked), pushes it off-site, backs up the servers' data (restic) and restores either."""
