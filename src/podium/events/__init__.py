"""Event buses: where EVENT tasks publish and where event handlers listen (adapters).

`bus` holds the `EventBus` Protocol and the router from an event string (`conductor:wf:ref`,
`amqp:orders`, `nats:orders`) to the bus that carries it; `conductor_bus`, `amqp` and `nats` are
the implementations; `factory` builds the buses a server's settings ask for. Only `bus` may be
imported by the services: the broker clients are optional dependencies.
"""
