-- The ingest hot path (src/store/postgres/fast-paths.ts) remembers which projects it found without
-- a monthly quota, and writes their new one-shots without reading the quota again. The statement
-- that writes them checks, in its own snapshot, that none of those projects has a quota now: one
-- set meanwhile, on any node, fails that statement (nothing of it is written), and the fast path
-- runs the transaction again reading each project's quota, as if it had never remembered it.
CREATE FUNCTION hourglass_still_without_quota(project_ids TEXT[]) RETURNS BOOLEAN LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM projects WHERE id = ANY(project_ids) AND month_quota IS NOT NULL) THEN
    RAISE EXCEPTION 'a monthly quota was set on a project this transaction took to have none' USING ERRCODE = 'HG001';
  END IF;
  RETURN true;
END
$$;
