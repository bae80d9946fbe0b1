-- Settlement in one round trip: writes a batch of usage rows and settles what their requests' admissions reserved,
-- as one statement, so the row locks it shares with admission (bgw_admit) are held for one statement's time, not
-- for a transaction's worth of round trips. p_locks lists the subjects whose rows it changes, in admission's lock
-- order: [{"subject": "key:…", "windows": [minute, …] newest first, "periods": ["d…", "m…"]}], subjects sorted as
-- the caller sorts its checks; each subject's rate windows are locked, then its ledger rows (created when missing)
-- by period. p_rows is the batch as a JSON array of usage_events records (the columns below).
-- Returns how many rows were new (duplicates by request id are skipped and settle nothing).
CREATE FUNCTION "bgw_settle"(p_rows jsonb, p_locks jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	l jsonb;
	inserted integer;
BEGIN
	FOR l IN SELECT value FROM jsonb_array_elements(p_locks) LOOP
		IF jsonb_array_length(l->'windows') > 0 THEN
			PERFORM 1 FROM rate_windows
				WHERE subject = l->>'subject'
					AND window_start = ANY (ARRAY(SELECT jsonb_array_elements_text(l->'windows')::bigint))
				ORDER BY window_start DESC FOR UPDATE;
		END IF;
		-- An upsert locks rows in the order its select produces them, the existing ones (a no-op update) and new ones alike.
		INSERT INTO spend_ledger AS sl (subject, period)
			SELECT l->>'subject', p FROM jsonb_array_elements_text(l->'periods') AS p ORDER BY p COLLATE "C"
			ON CONFLICT (subject, period) DO UPDATE SET spent_micros = sl.spent_micros;
	END LOOP;

	WITH r AS (
		SELECT * FROM jsonb_to_recordset(p_rows) AS r(request_id text, key_id text, auth text, user_email text,
			team text, endpoint text, model text, bedrock_model_id text, target_region text, attempts integer, stream boolean,
			status text, http_status integer, error_code text, stop_reason text, input_tokens integer, output_tokens integer,
			cache_read_tokens integer, cache_write_tokens integer, estimated boolean, cost_micros bigint, cost_known boolean,
			price jsonb, lease jsonb, latency_ms integer, ttft_ms integer, created_at timestamptz)
	), ins AS (
		INSERT INTO usage_events (request_id, key_id, auth, user_email, team, endpoint, model, bedrock_model_id, target_region,
			attempts, stream, status, http_status, error_code, stop_reason, input_tokens, output_tokens, cache_read_tokens,
			cache_write_tokens, estimated, cost_micros, cost_known, price, lease, latency_ms, ttft_ms, created_at)
		SELECT request_id, key_id, coalesce(auth, 'key'), user_email, team, endpoint, model, bedrock_model_id, target_region,
			coalesce(attempts, 0), stream, status, http_status, error_code, stop_reason, input_tokens, output_tokens,
			cache_read_tokens, cache_write_tokens, estimated, cost_micros, coalesce(cost_known, true), price, lease, latency_ms,
			ttft_ms, coalesce(created_at, now())
		FROM r
		ON CONFLICT (request_id) DO NOTHING
		RETURNING key_id, user_email, team, cost_micros, created_at, lease,
			input_tokens + output_tokens + cache_read_tokens + cache_write_tokens AS tokens
	), charge AS (
		SELECT s.subject, per.period, sum(i.cost_micros) AS spent,
			sum(CASE WHEN i.lease -> 'budget' ? s.subject AND per.period IN (i.lease ->> 'day', i.lease ->> 'month')
				THEN (i.lease ->> 'cost')::bigint ELSE 0 END) AS released
		FROM ins i
		CROSS JOIN LATERAL (VALUES ('key:' || i.key_id), ('user:' || i.user_email), ('team:' || i.team)) AS s(subject)
		CROSS JOIN LATERAL (VALUES (coalesce(i.lease ->> 'day', 'd' || to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))),
			(coalesce(i.lease ->> 'month', 'm' || to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM')))) AS per(period)
		WHERE s.subject IS NOT NULL
		GROUP BY s.subject, per.period
	), ledger AS (
		INSERT INTO spend_ledger AS sl (subject, period, spent_micros, reserved_micros)
		SELECT subject, period, spent, 0 FROM charge
		ON CONFLICT (subject, period) DO UPDATE SET spent_micros = sl.spent_micros + excluded.spent_micros,
			reserved_micros = greatest(0, sl.reserved_micros - (SELECT c.released FROM charge c WHERE c.subject = excluded.subject AND c.period = excluded.period))
		RETURNING 1
	), rates AS (
		UPDATE rate_windows w SET tokens = greatest(0, w.tokens + d.delta)
		FROM (
			SELECT x.subject, (i.lease ->> 'window')::bigint AS window_start, sum(i.tokens - (i.lease ->> 'tokens')::bigint) AS delta
			FROM ins i CROSS JOIN LATERAL jsonb_array_elements_text(i.lease -> 'rate') AS x(subject)
			GROUP BY 1, 2
		) d
		WHERE w.subject = d.subject AND w.window_start = d.window_start
		RETURNING 1
	)
	-- ledger and rates run to completion although nothing reads them (as every data-modifying WITH does).
	SELECT count(*) INTO inserted FROM ins;
	RETURN inserted;
END
$$;
