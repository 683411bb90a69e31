"""infra-sip-probe: per-endpoint SIP registration state read from the call controller (Kamailio)."""
