"""What a rule type is to the engine: a :class:`Machine` over all rules of that type.

A rule type is one module of this package: its rule (a msgspec Struct tagged with the
rules file's ``type:``), the rule's checks, the pure per-series state machine and a
:class:`Machine` that runs it for every rule of the type. The package's ``__init__``
lists the types (``RULE_TYPES``, one line each); the engine and the rules loader know
no type by name.

The engine hands each accepted record to every machine as a :class:`Seen`; a machine
answers with :class:`Step`\\ s, lazily: the engine applies a step's evaluation to the
alert lifecycle, and only then keeps the step's new state (``table[source] = state``),
before it asks for the next step. So a failed store write never leaves a machine
ahead of its alerts, and a later step of the same record sees the states kept before.

Per-series states live in :class:`alerts.snapshot.RuleStates`, in the table named by
the type's ``field`` (``rule name -> source id -> state``), and are saved in the
snapshot with it. A machine with a job of its own besides records (deadman: silence
is noticed by the clock, not by a record) is also :class:`Ticking`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar, runtime_checkable

from alerts.evaluation import Evaluation
from lifeline.core.alert import AlertCategory
from lifeline.core.ids import SourceKind
from lifeline.core.records import Record
from lifeline.core.registry import Registry

if TYPE_CHECKING:
    from alerts.event_time import EventTimes
    from alerts.snapshot import RuleStates

__all__ = [
    "Machine",
    "MachineContext",
    "RuleLike",
    "RuleType",
    "Seen",
    "Step",
    "Ticking",
]


class RuleLike(Protocol):
    """What the engine, the lifecycle and the API know of any rule."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> SourceKind: ...

    @property
    def category(self) -> AlertCategory: ...

    @property
    def description(self) -> str: ...


R = TypeVar("R", bound=RuleLike)


class Seen(NamedTuple):
    """A record as the machines see it: its source's kind and its numeric fields."""

    record: Record
    kind: SourceKind
    metrics: Mapping[str, float]

    @property
    def source_id(self) -> str:
        return self.record.source_id

    @property
    def ts_ms(self) -> int:
        return self.record.ts_ms


class Step(NamedTuple):
    """One machine's word on one series: apply ``evaluation`` (None: no opinion) to the
    alert of ``(source_id, rule)`` at event time ``ts_ms``, then keep ``state`` in
    ``table`` (``table`` None: nothing to keep)."""

    rule: RuleLike
    source_id: str
    kind: SourceKind
    evaluation: Evaluation | None
    ts_ms: int
    table: dict[str, Any] | None = None
    state: Any = None


@dataclass(frozen=True, slots=True)
class MachineContext:
    """What machines may read besides their states: the live registry (edits apply to
    the next record), the event-time clocks, and which sources this engine owns when
    scaled out (``owns_source`` None with ``scaled_out``: a source's first record arms)."""

    registry: Registry
    times: EventTimes
    owns_source: Callable[[str], bool] | None = None
    scaled_out: bool = False
    is_open: Callable[[str, str], bool] = lambda _source, _rule: False
    """Whether an alert of (source, rule) is open: a machine with no state for a
    series and nothing new to say may skip it unless there is an alert to reconcile."""

    def to_apply(
        self, source: str, rule: str, evaluation: Evaluation | None, states: RuleStates
    ) -> bool:
        """Whether a step with ``evaluation`` would change anything: it raises or holds,
        or it may clear an open alert or a close-while-active latch. A machine keeps the
        state of any other step at once instead of yielding it (most records are
        normal: the engine would only store their state)."""
        if evaluation is None:
            return False
        if evaluation.active or evaluation.momentary:
            return True
        return self.is_open(source, rule) or source in states.closed_active.get(rule, ())


class Machine(Protocol):
    """All rules of one type."""

    @property
    def kinds(self) -> frozenset[SourceKind]:
        """The source kinds whose records it observes (the engine asks no other)."""
        ...

    def observe(self, seen: Seen, states: RuleStates) -> Iterator[Step]:
        """Steps for one record, in order (a lazy iterator: see the module doc)."""
        ...


@runtime_checkable
class Ticking(Protocol):
    """A machine that also acts on the clock (an optional capability, checked)."""

    def restore(self, states: RuleStates) -> None:
        """Fix up states loaded from an older snapshot (before the clocks are built)."""
        ...

    def start(self, states: RuleStates, wall_ms: int) -> None:
        """At start, once the clocks are built from the loaded states."""
        ...

    def due(self, states: RuleStates, wall_ms: int) -> Iterator[Step]:
        """Steps the clock brings (every engine tick, after the feeds' pace moved)."""
        ...


@dataclass(frozen=True, slots=True)
class RuleType(Generic[R]):
    """One rule type: the rules file's ``type:`` tag is ``rule``'s msgspec tag.

    ``field`` names its table in the snapshot, ``state`` the per-series state type kept
    there; ``check`` validates a decoded rule (raise ``ValueError`` with the reason);
    ``machine`` builds the machine for all rules of the type."""

    rule: type[R]
    field: str
    state: type[Any]
    check: Callable[[R], None]
    machine: Callable[[Sequence[R], MachineContext], Machine]

    @property
    def tag(self) -> str:
        """The rules file's ``type:`` of this rule type."""
        config = getattr(self.rule, "__struct_config__")  # noqa: B009 (a msgspec Struct)
        return str(config.tag)
