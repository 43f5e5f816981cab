"""[trust]: what credentials the gate trusts. The files are loaded here exactly as `qrgate run`
loads them, so `qrgate config check` refuses the trust files the gate would refuse."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from ..credentials.trust import TrustStore
from ..errors import QrgateError
from .base import ConfigModel, fail


class TrustConfig(ConfigModel):
    files: list[str] = Field(default_factory=list, description="Trust files: qrgate key trust.json, revocation "
                                                               "and rotation files, certificate bundles, DCC "
                                                               "trust lists")
    dcc_schema_dir: str | None = Field(None, description="Folder of DCC JSON schemas, one subfolder per release; "
                                                         "none: health certificates are not schema-checked")

    @model_validator(mode="after")
    def _files_load(self) -> "TrustConfig":
        if self.dcc_schema_dir is not None:
            from ..credentials.dcc.schema import available_releases  # jsonschema: only when it is used

            folder = Path(self.dcc_schema_dir)
            if not folder.is_dir():
                fail(f"no such folder {folder}", "dcc_schema_dir")
            if not available_releases(folder):
                fail(f"{folder} holds no schema release folder (such as 1.3.0/)", "dcc_schema_dir")
        for i, name in enumerate(self.files):
            if not Path(name).is_file():
                fail(f"no such file {name}", f"files[{i}]")
        try:
            TrustStore.from_files(self.files, self.dcc_schema_dir)
        except QrgateError as exc:  # each names its file
            fail(str(exc), "files")
        return self
