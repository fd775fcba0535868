-- A ticket has at most one live dispatch. The office checks this before dispatching, but two
-- office users dispatching the same ticket at once both pass that check; this index makes the
-- second write transaction fail, and the office is told the ticket is already dispatched.
CREATE UNIQUE INDEX dispatches_one_live_per_ticket ON dispatches (ticket_id)
    WHERE status IN ('assigned', 'accepted', 'en_route', 'on_site') AND ticket_id <> '';
