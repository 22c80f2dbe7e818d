-- W4: every request signs in: a new session is written (8 h TTL) and its cookie set.
wrk.method = "POST"
wrk.body = ""
