"""IAM Access Analyzer: a minimal service of its own."""

from __future__ import annotations

import json
import re
import sys
import types
from datetime import UTC, datetime
from urllib.parse import unquote

from moto import backend_index
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse

from scripts.emulator.extensions.registry import extension

# Where moto looks for a service's backends.
MOTO_MODULE = "moto.accessanalyzer"


class AccessAnalyzerResponse(BaseResponse):
    def __init__(self):
        super().__init__(service_name="accessanalyzer")

    @property
    def analyzers(self) -> dict[str, dict]:
        # The backends of the latest install (each install, one per test mock, starts afresh).
        backends = sys.modules[MOTO_MODULE].accessanalyzer_backends
        return backends[self.current_account][self.region].analyzers

    def _path_value(self) -> str:
        return unquote(self.path.rstrip("/").split("/", 2)[-1])

    def _analyzer(self, name: str) -> dict:
        if name not in self.analyzers:
            raise JsonRESTError("ResourceNotFoundException", f"Analyzer {name} not found")
        return self.analyzers[name]

    def create_analyzer(self) -> str:
        name = self._get_param("analyzerName")
        if name in self.analyzers:
            raise JsonRESTError("ConflictException", f"Analyzer {name} already exists")
        arn = f"arn:aws:access-analyzer:{self.region}:{self.current_account}:analyzer/{name}"
        self.analyzers[name] = {
            "arn": arn,
            "name": name,
            "type": self._get_param("type"),
            "status": "ACTIVE",
            "createdAt": datetime.now(UTC).isoformat(),
            "tags": self._get_param("tags") or {},
        }
        return json.dumps({"arn": arn})

    def get_analyzer(self) -> str:
        return json.dumps({"analyzer": self._analyzer(self._path_value())})

    def list_analyzers(self) -> str:
        kind = self.querystring.get("type", [None])[0]
        return json.dumps(
            {"analyzers": [a for a in self.analyzers.values() if kind in (None, a["type"])]}
        )

    def delete_analyzer(self) -> str:
        self.analyzers.pop(self._analyzer(self._path_value())["name"])
        return "{}"

    def _by_arn(self) -> dict:
        arn = self._path_value()
        return self._analyzer(arn.rsplit("/", 1)[-1])

    def list_tags_for_resource(self) -> str:
        return json.dumps({"tags": self._by_arn()["tags"]})

    def tag_resource(self) -> str:
        self._by_arn()["tags"].update(self._get_param("tags") or {})
        return "{}"

    def untag_resource(self) -> str:
        tags = self._by_arn()["tags"]
        for key in self.querystring.get("tagKeys", []):
            tags.pop(key, None)
        return "{}"


class AccessAnalyzerBackend(BaseBackend):
    # What moto otherwise imports from the service's urls.py.
    _url_module = types.SimpleNamespace(
        url_bases=[r"https?://access-analyzer\.(.+)\.amazonaws\.com"],
        url_paths={
            "{0}/analyzer$": AccessAnalyzerResponse.dispatch,
            "{0}/analyzer/(?P<name>[^/]+)$": AccessAnalyzerResponse.dispatch,
            "{0}/tags/(?P<arn>.+)$": AccessAnalyzerResponse.dispatch,
        },
    )

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.analyzers: dict[str, dict] = {}


@extension
def access_analyzer() -> None:
    """A minimal IAM Access Analyzer (create, get, list, delete, tags), which moto has no backend
    for. It records analyzers per account and region; it does not analyze anything."""
    backends = BackendDict(AccessAnalyzerBackend, "accessanalyzer")
    module = types.ModuleType(MOTO_MODULE)
    module.accessanalyzer_backends = backends
    sys.modules[MOTO_MODULE] = module
    if not any(name == "accessanalyzer" for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append(
            ("accessanalyzer", re.compile(AccessAnalyzerBackend._url_module.url_bases[0]))
        )
