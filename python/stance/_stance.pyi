"""The native part of stance (Rust, PyO3). Use the package `stance`, which wraps it."""

from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__version__: str

class StanceError(Exception):
    """Base class of the errors of stance."""

class RecordError(StanceError):
    """A bad input record."""

    index: int
    """Position of the record in the input (0-based)."""
    id: Optional[str]
    """The record's id, when it can be read."""
    field: Optional[str]
    """The field to blame (``text``, ``date``, ...), when one is."""
    reason: str
    """What is wrong, without the record's name."""

class ModelError(StanceError):
    """A model file that is not a usable stance model."""

class ConfigError(StanceError):
    """Settings, actors or training data that do not make sense."""

_Record = Union[str, Mapping[str, Any]]
_Actors = Union[str, Sequence[str], None]

class Model:
    @staticmethod
    def builtin(*, threads: Optional[int] = None) -> "Model": ...
    @staticmethod
    def load(path: str, *, threads: Optional[int] = None) -> "Model": ...
    @staticmethod
    def from_bytes(data: bytes, *, name: str = "<bytes>", threads: Optional[int] = None) -> "Model": ...
    @property
    def name(self) -> str: ...
    def identity_json(self) -> str: ...
    @property
    def threads(self) -> int: ...
    @property
    def stance_labels(self) -> List[str]: ...
    @property
    def sentiment_labels(self) -> List[str]: ...
    @property
    def actors(self) -> List[str]: ...
    def config_json(self) -> str: ...
    def info_json(self) -> str: ...
    def save(self, path: str) -> None: ...
    def score_json(
        self,
        records: Iterable[_Record],
        *,
        actors: _Actors = None,
        only_actors: bool = False,
        evidence: int = 2,
        errors: str = "raise",
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
    ) -> List[str]: ...
    def score_arrow(
        self,
        batch: Any,
        *,
        actors: _Actors = None,
        only_actors: bool = False,
        evidence: int = 0,
        errors: str = "raise",
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
        carry: Optional[List[str]] = None,
        row_col: Optional[str] = None,
        offset: int = 0,
    ) -> Any: ...
    def output_schema(
        self,
        schema: Any,
        *,
        evidence: int = 0,
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
        carry: Optional[List[str]] = None,
        row_col: Optional[str] = None,
    ) -> Any: ...

def train(
    records: Iterable[Mapping[str, Any]],
    *,
    config_json: str,
    actors_path: Optional[str] = None,
    actors_toml: Optional[str] = None,
    folds: Optional[int] = 5,
    seed: int = 42,
    group_by: Optional[str] = None,
    name: Optional[str] = None,
    text_col: str = "text",
    id_col: str = "id",
    source_col: str = "source",
    date_col: str = "date",
    threads: Optional[int] = None,
) -> Tuple[Model, List[str]]: ...
def default_config_json() -> str: ...
