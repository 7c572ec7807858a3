"""AWS Free Tier: the account plan (GetAccountPlanState, UpgradeAccountPlan), a service of its
own."""

from __future__ import annotations

import json
import os
import re
import sys
import types
from datetime import UTC, datetime, timedelta

from moto import backend_index
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse

from scripts.emulator.extensions.registry import extension

# Where moto looks for a service's backends.
MOTO_MODULE = "moto.freetier"
# The plan every account of the emulator starts on: PAID (the default) or FREE. Set it in the
# environment of the emulator's process (or of an in-process mock) before the first request.
ACCOUNT_PLAN_VARIABLE = "LOCAL_AWS_ACCOUNT_PLAN"
PLAN_TYPES = ("FREE", "PAID")
FREE_TIER_REGION = "us-east-1"
# What a new account on the free plan has: USD 100 of credits at sign-up, for six months.
FREE_PLAN_CREDITS_USD = 100.0
FREE_PLAN_DAYS = 182


class FreeTierResponse(BaseResponse):
    def __init__(self):
        super().__init__(service_name="freetier")

    @property
    def plan(self) -> dict:
        # The backends of the latest install (each install, one per test mock, starts afresh).
        backends = sys.modules[MOTO_MODULE].freetier_backends
        return backends[self.current_account][self.region].plan

    def get_account_plan_state(self) -> str:
        return json.dumps({"accountId": self.current_account, **self.plan})

    def upgrade_account_plan(self) -> str:
        wanted = json.loads(self.body)["accountPlanType"]
        if wanted != "PAID":
            raise JsonRESTError(
                "ValidationException", f"An account cannot move to the {wanted} plan"
            )
        self.plan.clear()
        self.plan.update(accountPlanType="PAID", accountPlanStatus="ACTIVE")
        return json.dumps({"accountId": self.current_account, **self.plan})


class FreeTierBackend(BaseBackend):
    # What moto otherwise imports from the service's urls.py.
    _url_module = types.SimpleNamespace(
        # The SDKs call freetier.<region>.api.aws; the server names the service so.
        url_bases=[
            r"https?://freetier\.(.+)\.api\.aws",
            r"https?://freetier\.(.+)\.amazonaws\.com",
        ],
        url_paths={"{0}/$": FreeTierResponse.dispatch},
    )

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        kind = os.environ.get(ACCOUNT_PLAN_VARIABLE, "PAID").upper()
        if kind not in PLAN_TYPES:
            raise ValueError(f"{ACCOUNT_PLAN_VARIABLE} must be one of {PLAN_TYPES}, not {kind!r}")
        self.plan: dict = {"accountPlanType": kind, "accountPlanStatus": "ACTIVE"}
        if kind == "FREE":
            self.plan.update(
                accountPlanRemainingCredits={"amount": FREE_PLAN_CREDITS_USD, "unit": "USD"},
                accountPlanExpirationDate=(
                    datetime.now(UTC) + timedelta(days=FREE_PLAN_DAYS)
                ).timestamp(),
            )


@extension
def free_tier() -> None:
    """The Free Tier API's account plan (GetAccountPlanState, UpgradeAccountPlan to PAID), which
    moto has no backend for: every account on the plan ACCOUNT_PLAN_VARIABLE names."""
    module = types.ModuleType(MOTO_MODULE)
    # The API answers in us-east-1 only, which boto3 does not list as a region of the service.
    module.freetier_backends = BackendDict(
        FreeTierBackend, "freetier", use_boto3_regions=False, additional_regions=[FREE_TIER_REGION]
    )
    sys.modules[MOTO_MODULE] = module
    if not any(name == "freetier" for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns += [
            ("freetier", re.compile(base)) for base in FreeTierBackend._url_module.url_bases
        ]
