"""Proactive reminders: policies an enterprise qualifies for, risks to self-check, credit to repair.

models (reminders, campaigns, repair applications) · service (life cycle, quiet periods, caps, answers;
session in, never commits) · campaigns (audience preview, the resumable sender, the funnel) · delivery
(putting reminders into the enterprise's chat through the hub) · schemas · router (operators' campaigns,
staff's repair applications) · widget_router (the 消息 list) · internal (answers from the action server) ·
scheduled (the campaign sender in every instance, under a Redis lock). Rules come from knowledge.rules,
enterprise facts from api.enterprise.facts; docs/enterprise.md has the picture.
"""
