"""The Ansible bridge: servers are converged and audited by the playbooks in `playbooks/`,
driven by ansible-runner, and reported as the same per-host `Result`s as network devices."""

from infra.ansible.run import PLAYBOOK_DIR, PlaybookRun, audit_servers, converge_servers, run_playbook

__all__ = ["PLAYBOOK_DIR", "PlaybookRun", "audit_servers", "converge_servers", "run_playbook"]
