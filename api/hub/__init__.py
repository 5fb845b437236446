"""The conversation hub: the widget's and the console's WebSockets, bot relay, seats, queue and assignment.

See docs/hub.md for the protocol. Roles of the modules:
models (tables) · schemas (wire shapes) · identity (visitor tokens, who is chatting) · service (conversation
rules, session in, never commits) · routing (service hours, queue, assignment) · notices (what a waiting
enterprise is told: place, honest wait, 留言 offer) · presence (seats online in Redis, kept by their open
consoles) · events (Redis pub/sub between instances, local connections) · bot (Rasa REST channel) · uploads ·
picture (the enterprise's picture for seats) · widget / console (WebSockets) · widget_router / seat_router /
internal (REST) · scheduled (returns a lost seat's conversations to the queue, at once when its console closed,
by the sweep when its instance died).
"""
