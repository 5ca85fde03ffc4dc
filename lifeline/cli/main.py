r"""The ``lifeline`` command.

    lifeline up        embedded broker + ingest + rules + API (+ simulators on request)
    lifeline simulate  the simulators alone, against any broker
    lifeline broker    the embedded amqtt broker alone
    lifeline accounts  MQTT accounts: broker password files and ACLs from the registry
    lifeline ingest    one ingest worker (scaled out; shared MQTT subscription)
    lifeline rules     one rules worker owning some record partitions (scaled out)
    lifeline api       the API/dashboard alone (scaled out)
    lifeline detect    score CSV series with the shipped anomaly detector
    lifeline bench     end-to-end benchmark on a fresh stack (bench/README.md) \ from the
    lifeline drill     fault drills: exit 1 unless lost = duplicated = 0       / bench

Every flag also has a ``LIFELINE_*`` environment variable (see lifeline/settings.py).
``bench`` and ``drill`` are not part of the product: the ``bench`` package registers them
under the entry-point group ``lifeline.commands`` (pyproject.toml), and this module
only looks them up there; a deployment without ``bench`` has no such commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import urlsplit

from lifeline.core.errors import ConfigError
from lifeline.logs import configure_logging
from lifeline.private_state import keep_state_private
from lifeline.settings import Settings, load_settings

__all__ = ["main"]

log = logging.getLogger(__name__)


def _parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``24h`` or ``2d`` as seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="state directory (LIFELINE_DATA_DIR)")
    parser.add_argument(
        "--mqtt-url",
        help="external broker mqtt[s]://host:port (LIFELINE_MQTT_URL); the service password "
        "goes in LIFELINE_MQTT_PASSWORD or LIFELINE_MQTT_PASSWORD_FILE, never here (ps shows it)",
    )
    parser.add_argument("--speed", type=float, help="simulated seconds per wall second")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def _add_notify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notify",
        type=Path,
        help="notification file: receivers, routes, escalation, rosters (LIFELINE_NOTIFY_FILE)",
    )


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        help="telemetry store: sqlite:// (default), sqlite:///PATH or influx://HOST:PORT/DB "
        "(credentials from LIFELINE_INFLUX_*) (LIFELINE_STORE)",
    )


def _add_simulation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help="inject a fault, e.g. gas_leak_ramp:GAS-0042@+10m (repeatable)",
    )
    parser.add_argument(
        "--random-scenarios",
        action="store_true",
        help="inject one scenario of each kind at seeded places",
    )
    parser.add_argument(
        "--backfill",
        type=_parse_duration,
        help="start this long before now and replay at --speed until caught up (1h, 30m)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the embedded stack")
    _add_common(up)
    up.add_argument("--mqtt-port", type=int, help="embedded broker port (LIFELINE_MQTT_PORT)")
    up.add_argument("--api-host", help="API bind address (LIFELINE_API_HOST)")
    up.add_argument("--api-port", type=int, help="API port (LIFELINE_API_PORT)")
    up.add_argument("--rules", type=Path, help="rules file (default: the shipped rules)")
    _add_notify(up)
    _add_store(up)
    up.add_argument(
        "--simulate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the simulators (LIFELINE_SIMULATE)",
    )
    _add_simulation(up)
    _add_dev(up)

    sim = sub.add_parser("simulate", help="run the simulators against a broker")
    _add_common(sim)
    _add_simulation(sim)
    sim.add_argument(
        "--duration",
        type=_parse_duration,
        help="simulated time to run (90s, 15m, 24h); "
        "the run starts that long before now and catches up; default: forever",
    )
    sim.add_argument("--meters", type=int, help="simulate only the first N meters")
    sim.add_argument("--seed", type=int, help="model and scenario seed")
    sim.add_argument("--ground-truth", type=Path, help="JSON-lines file of injected faults")

    ingest = sub.add_parser("ingest", help="run one ingest worker (needs --mqtt-url)")
    _add_common(ingest)
    _add_store(ingest)

    rules = sub.add_parser("rules", help="run one rules worker (needs --mqtt-url)")
    _add_common(rules)
    rules.add_argument("--rules", type=Path, help="rules file (default: the shipped rules)")
    _add_notify(rules)
    rules.add_argument(
        "--partitions", help="owned partitions: all, 0-7, 0,2,4-6 (LIFELINE_RULES_PARTITIONS)"
    )

    api = sub.add_parser("api", help="run the API/dashboard alone (needs --mqtt-url)")
    _add_common(api)
    _add_notify(api)
    _add_store(api)
    api.add_argument("--api-host", help="API bind address (LIFELINE_API_HOST)")
    api.add_argument("--api-port", type=int, help="API port (LIFELINE_API_PORT)")

    detect = sub.add_parser(
        "detect",
        help="score CSV series with the shipped anomaly detector (lifeline detect DATA OUT)",
        add_help=False,
    )
    detect.add_argument("rest", nargs=argparse.REMAINDER)

    for name, (summary, _) in _plugin_commands().items():  # their own parsers: see main
        sub.add_parser(name, help=summary, add_help=False)

    broker = sub.add_parser("broker", help="run the embedded amqtt broker alone")
    broker.add_argument("--host", default="127.0.0.1")
    broker.add_argument("--port", type=int, default=1883)
    broker.add_argument("--accounts-dir", type=Path, help="default DATA_DIR/broker")
    _add_dev(broker)

    from lifeline.cli.accounts import add_arguments as add_accounts_arguments

    add_accounts_arguments(
        sub.add_parser("accounts", help="issue MQTT accounts, write password and ACL files")
    )
    return parser


PLUGIN_GROUP = "lifeline.commands"

PluginCommand = Callable[[list[str]], int]


def _plugin_commands() -> dict[str, tuple[str, PluginCommand]]:
    """Commands other installed packages register (``bench``, ``drill``): name ->
    (one-line help, a loader of ``main(argv)`` taking the full argv, name first)."""
    found: dict[str, tuple[str, PluginCommand]] = {}
    for point in entry_points(group=PLUGIN_GROUP):

        def run(argv: list[str], point: object = point) -> int:
            main: Callable[[list[str]], int] = point.load()  # type: ignore[attr-defined]
            return main(argv)

        found[point.name] = (f"{point.name} (from {point.value.split(':')[0]})", run)
    return found


def _add_dev(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dev",
        action="store_true",
        default=None,
        help="development mode: embedded broker open to anonymous clients (LIFELINE_DEV_MODE)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    """The settings of a state-writing command; its files are private from here on."""
    settings = _load(args)
    keep_state_private(settings.data_dir)
    return settings


def _configured(args: argparse.Namespace) -> Settings:
    """:func:`_settings` with logging configured, and a warning for a password in the URL."""
    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format)
    if settings.mqtt_url is not None and urlsplit(settings.mqtt_url).password:
        log.warning(
            "mqtt_password_in_url",
            extra={
                "hint": "the MQTT url's password is visible to every local user (ps, "
                "/proc); give it in LIFELINE_MQTT_PASSWORD or LIFELINE_MQTT_PASSWORD_FILE"
            },
        )
    return settings


def _load(args: argparse.Namespace) -> Settings:
    return load_settings(
        data_dir=getattr(args, "data_dir", None),
        mqtt_url=getattr(args, "mqtt_url", None),
        mqtt_port=getattr(args, "mqtt_port", None),
        api_host=getattr(args, "api_host", None),
        api_port=getattr(args, "api_port", None),
        rules_file=getattr(args, "rules", None),
        notify_file=getattr(args, "notify", None),
        store=getattr(args, "store", None),
        rules_partitions=getattr(args, "partitions", None),
        simulate=getattr(args, "simulate", None),
        dev_mode=getattr(args, "dev", None),
        speed=getattr(args, "speed", None),
        log_level=getattr(args, "log_level", None),
    )


# `lifeline up --simulate` with no simulation flags: replay the last hour at 60x (one
# minute of wall time, about 2,300 messages/s) with one fault of each kind, then go live.
# The operator sees a populated dashboard and the first alerts within a minute.
DEMO_BACKFILL_S = 3600.0
DEMO_SPEED = 60.0


def _simulation_flags(args: argparse.Namespace) -> list[str]:
    flags = [f"--scenario={spec}" for spec in args.scenario]
    demo = not args.scenario and not args.random_scenarios and args.backfill is None
    if args.random_scenarios or demo:
        flags.append("--random-scenarios")
    backfill = DEMO_BACKFILL_S if demo else args.backfill
    if backfill is not None:
        flags.append(f"--backfill={backfill}")
    if demo and args.speed is None:
        flags.append(f"--speed={DEMO_SPEED}")
    return flags


def _up(args: argparse.Namespace) -> int:
    from lifeline.roles.stack import run_stack

    settings = _configured(args)
    asyncio.run(
        run_stack(settings, simulate=settings.simulate, simulate_args=_simulation_flags(args))
    )
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from simulators.runner import run_simulation

    settings = _configured(args)

    async def _run() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            stats = await run_simulation(
                settings,
                duration_s=args.duration,
                backfill_s=args.backfill,
                seed=args.seed,
                meter_limit=args.meters,
                scenarios=args.scenario,
                random_scenarios=args.random_scenarios,
                ground_truth_path=args.ground_truth,
            )
            log.info(
                "simulation_done",
                extra={
                    "messages": stats.total,
                    "by_kind": dict(stats.messages),
                    "scenarios": stats.scenarios_started,
                },
            )

    asyncio.run(_run())
    return 0


def _role(args: argparse.Namespace) -> int:
    from lifeline.roles.api import run_api
    from lifeline.roles.ingest import run_ingest
    from lifeline.roles.rules import run_rules

    settings = _configured(args)
    role = {"ingest": run_ingest, "rules": run_rules, "api": run_api}
    asyncio.run(role[args.command](settings))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    plugins = _plugin_commands()
    if argv and argv[0] in plugins:  # own parsers: lifeline bench --help
        keep_state_private()  # umask only: the bench's stacks and reports are private
        return plugins[argv[0]][1](argv)
    if argv[:1] == ["detect"]:  # its own parser: lifeline detect DATA_DIR RESULTS_DIR [...]
        from alerts.detect_cli import main as detect_main

        return detect_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as error:  # a clear one-line refusal, not a traceback
        print(f"lifeline {args.command}: {error}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "up":
        return _up(args)
    if args.command == "simulate":
        return _simulate(args)
    if args.command in ("ingest", "rules", "api"):
        return _role(args)
    if args.command == "accounts":
        from lifeline.cli.accounts import run as accounts_run

        if args.out is None:  # --out DIR is for another service (a Mosquitto) to read
            keep_state_private(_load(args).data_dir)
        return accounts_run(args)
    from lifeline.broker import main as broker_main

    broker_args = ["--host", args.host, "--port", str(args.port)]
    broker_args += ["--accounts-dir", str(args.accounts_dir)] if args.accounts_dir else []
    broker_main(broker_args + (["--dev"] if args.dev else []))
    return 0
