"""``/api/v1/rules/parameters`` and ``/api/v1/rules/dry-run``: rule parameters (admin).

An edit is ``{rule: {field: value}}`` on the rules document, validated exactly as a
rules file is (``alerts.rule_documents.edited_document``); the dry run lists the open
alerts the edited rules would clear, re-grade, orphan or re-evaluate against the rules
running now. Saving stores a new version (every version kept, one audit entry with the
changed rules' fields before and after); it runs from the next start of the rule engine
(``restart_required``) — the running engine's machines are never swapped under live
alerts. A saved version is passed over if the rules file changed after it was made.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from alerts.rule_documents import RulesInUse, edited_document, rule_fields, rules_from_file
from alerts.rule_dry_run import dry_run
from alerts.rules import RuleSet
from api.auth.audit import record
from api.auth.changes import before_after
from api.auth.guard import PrincipalDep
from api.deps import AlertStoreDep, ApiDeps, Deps, RegistryDep, RulesDep
from api.routes import API_PREFIX
from api.schemas.admin import AlertChangeOut, RuleParametersOut, RuleParamsIn, RulesDryRunOut
from lifeline.core.errors import ConfigError
from lifeline.core.ports import RuleSetStore, StoredRules

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/rules", tags=["admin"])


def _running(deps: ApiDeps) -> RulesInUse:
    """What this process loaded (the shipped defaults when it was given no document)."""
    return deps.rules_in_use if deps.rules_in_use is not None else rules_from_file()


def _store(deps: ApiDeps) -> RuleSetStore:
    if deps.rule_sets is None:
        raise HTTPException(503, detail="rule edits are not kept by this process")
    return deps.rule_sets


async def _pending(deps: ApiDeps, running: RulesInUse) -> StoredRules | None:
    """The saved version the next start will run, if it is not the running one."""
    if deps.rule_sets is None:
        return None
    latest = await deps.rule_sets.latest()
    if latest is None or latest.version == running.version:
        return None
    return latest if latest.base_sha256 == running.base_sha256 else None


def _edit(text: str, changes: dict[str, dict[str, Any]]) -> tuple[str, RuleSet]:
    try:
        return edited_document(text, changes)
    except ConfigError as exc:
        raise HTTPException(422, detail=str(exc)) from None


async def _parameters(deps: ApiDeps) -> RuleParametersOut:
    running = _running(deps)
    pending = await _pending(deps, running)
    document = running.document if pending is None else pending.yaml
    return RuleParametersOut(
        running_version=running.version,
        running_source=running.source,
        saved_version=None if pending is None else pending.version,
        saved_by=None if pending is None else pending.saved_by,
        saved_at_ms=None if pending is None else pending.saved_at_ms,
        restart_required=pending is not None,
        rules=list(rule_fields(document).values()),
    )


@router.get("/parameters", summary="Every rule's parameters, the running and saved versions")
async def get_parameters(deps: Deps) -> RuleParametersOut:
    return await _parameters(deps)


@router.post("/dry-run", summary="Validate a parameter edit; the open alerts it would change")
async def dry_run_parameters(
    body: RuleParamsIn,
    deps: Deps,
    rules: RulesDep,
    registry: RegistryDep,
    alerts: AlertStoreDep,
) -> RulesDryRunOut:
    running = _running(deps)
    pending = await _pending(deps, running)
    _, edited = _edit(running.document if pending is None else pending.yaml, body.changes)
    changes = dry_run(rules, edited, await alerts.open_alerts(), registry.channels.get)
    before = rules.by_name
    return RulesDryRunOut(
        changed_rules=[r.name for r in edited.rules if before.get(r.name) != r],
        alerts=[AlertChangeOut.model_validate(c, from_attributes=True) for c in changes],
    )


@router.put("/parameters", summary="Save a parameter edit for the engine's next start (audited)")
async def save_parameters(
    body: RuleParamsIn,
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
) -> RuleParametersOut:
    store = _store(deps)
    running = _running(deps)
    pending = await _pending(deps, running)
    base = running.document if pending is None else pending.yaml
    text, _ = _edit(base, body.changes)  # validated as the next start will load it
    before_fields = rule_fields(base)
    saved = await store.save(
        text, running.base_sha256, principal.name, deps.auth_options.now_ms(), body.note
    )
    after_fields = rule_fields(text)
    await record(
        request,
        principal.name,
        "rule",
        "update_parameters",
        target=f"rules/v{saved.version}",
        detail=before_after(
            {name: before_fields.get(name) for name in body.changes},
            {name: after_fields.get(name) for name in body.changes},
            note=body.note,
        ),
    )
    return await _parameters(deps)
