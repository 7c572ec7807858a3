"""The one guard every destructive helper asks first: every refusal rule, in this package only.

Each check is printed as it runs (pass or REFUSE, in plain words), and a refusal raises `Refused`
with every cause at once — never just the first — so a person sees the whole picture (as
aws-nuke does). A check that needs what an earlier one refused (the outputs of a management
workspace that is not applied, say) is printed as skip, not as one more refusal: every REFUSE is
a cause. The reasons themselves are listed in `checks`.

- `approval`: who approves a change. The management stack is never approved by an environment
  variable — only by an explicit `--yes` on that command line, or by the person at the terminal
  — while a member account's workspace is also approved by AUTO_APPROVE=1 (the dev loop in CI).
- `member`: whether a member account's workspace may be destroyed, in order:
    1. the stack is a member account of the environment, not the management stack (when it is
       not, rules 2-5 are skipped: they are about a member account);
    2. the member's state key is not the management workspace's key (config and synthesized
       backend);
    3. the management workspace is applied, and its outputs name the member account;
    4. terraform will act through the member's role, and that role does not land in the
       management account (asked of STS, not assumed from names);
    5. the assumed identity is in exactly the member account the management outputs name;
    6. the management credentials, and the management outputs, are the account the environment
       file pins (`[management] account_id`), when it pins one.
- `management`: rule 6 on its own, for the helpers that act in the management account
  (bootstrap, adopt) before anything else.
- `kill_switch`: before a freeze or thaw by hand: rule 1; the management outputs name the account
  and the freeze SCP; the account is not the management account, neither by the outputs nor by
  Organizations, which must list it as a member of the organization these credentials manage.
- `reset`: before a dev reset: rules 1-6, aws-nuke is a supported version, and the aws-nuke
  config generated names exactly the target account and blocks every other.
- `account_removal`: a plan that removes an account or the organization is refused unless the
  person named it.
"""
