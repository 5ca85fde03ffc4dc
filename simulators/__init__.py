"""Simulators: realistic publishers for every gas channel, heating station and smart meter.

Modules:

- ``clock``      simulated time (stepped for tests, accelerated-then-real-time for runs)
- ``source``     the emission value, the source Protocol and inbound topic builders
- ``gas``        gas-leak alarm channel model (readings, heartbeats, controller events)
- ``heating``    heat-exchange station model (primary/secondary loops, heating curve)
- ``meters``     smart gas meter model (hourly or 15-min intervals, nightly batch upload)
- ``scenarios``  injectable faults, their CLI syntax and ground truth
- ``publish``    the Publisher Protocol, the MQTT publisher and a recording publisher
- ``runner``     the simulation loop (one heap-ordered schedule) and ``run_simulation``
"""

__all__: list[str] = []
