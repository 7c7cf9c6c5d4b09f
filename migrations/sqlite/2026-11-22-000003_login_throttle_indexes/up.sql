-- Login throttling counts recent failures per account (target) and per address (ip).
CREATE INDEX audit_events_action_target_at ON audit_events (action, target, at);
CREATE INDEX audit_events_action_ip_at ON audit_events (action, ip, at);
