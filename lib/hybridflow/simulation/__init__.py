"""Simulations of the support organisation built on the on-premise CRM: tickets that live.

``lifecycle``: each ticket's life (assigned, first response, resolved, reopened, closed) for the
CRM's clients, tiers and agents, with the mess a real upstream makes, and the records sent as
``hybridflow produce --lifecycle`` sends them. It sits above :mod:`hybridflow.tickets` (the ticket
model, generator and producer) and :mod:`hybridflow.batch` (the CRM whose tiers and agents it uses).
"""
