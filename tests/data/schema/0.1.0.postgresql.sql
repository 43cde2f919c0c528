-- The schema statscache 0.1.0 (commit c413571, 2026-11-30) made on PostgreSQL 15 with every built-in plugin
-- and the default intervals (1m, 1h, 1d), as pg_dump --schema-only printed it: the previous release.
--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: build_outcomes_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.build_outcomes_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: build_outcomes_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.build_outcomes_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: build_outcomes_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.build_outcomes_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: latest_builds_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.latest_builds_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('latest_builds', (floor(extract(epoch FROM OLD.timestamp) / 604800) * 604800)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('latest_builds', (floor(extract(epoch FROM NEW.timestamp) / 604800) * 604800)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_by_project_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_by_project_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_by_project_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_by_project_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_by_project_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_by_project_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_by_user_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_by_user_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_by_user_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_by_user_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: pagure_contributions_by_user_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pagure_contributions_by_user_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: releng_dashboard_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.releng_dashboard_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('releng_dashboard', (floor(extract(epoch FROM OLD.timestamp) / 604800) * 604800)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('releng_dashboard', (floor(extract(epoch FROM NEW.timestamp) / 604800) * 604800)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_category_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_category_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_category_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_category_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_category_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_category_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_package_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_package_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_package_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_package_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_package_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_package_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_topic_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_topic_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_topic_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_topic_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_topic_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_topic_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_user_1d_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_user_1d_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1d', (floor(extract(epoch FROM OLD.timestamp) / 88473600) * 88473600)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1d', (floor(extract(epoch FROM NEW.timestamp) / 88473600) * 88473600)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_user_1h_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_user_1h_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1h', (floor(extract(epoch FROM OLD.timestamp) / 3686400) * 3686400)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1h', (floor(extract(epoch FROM NEW.timestamp) / 3686400) * 3686400)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


--
-- Name: volume_by_user_1m_tally(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.volume_by_user_1m_tally() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1m', (floor(extract(epoch FROM OLD.timestamp) / 61440) * 61440)::bigint, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1m', (floor(extract(epoch FROM NEW.timestamp) / 61440) * 61440)::bigint, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END IF; RETURN NULL; END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: build_outcomes_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.build_outcomes_1d (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: build_outcomes_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.build_outcomes_1h (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: build_outcomes_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.build_outcomes_1m (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: latest_builds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.latest_builds (
    category character varying NOT NULL,
    "timestamp" timestamp without time zone NOT NULL,
    msg_id character varying NOT NULL,
    status character varying NOT NULL,
    link character varying
);


--
-- Name: pagure_contributions_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_1d (
    "timestamp" timestamp without time zone NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_1h (
    "timestamp" timestamp without time zone NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_1m (
    "timestamp" timestamp without time zone NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_by_project_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_by_project_1d (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_by_project_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_by_project_1h (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_by_project_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_by_project_1m (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_by_user_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_by_user_1d (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_by_user_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_by_user_1h (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: pagure_contributions_by_user_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pagure_contributions_by_user_1m (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: releng_dashboard; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.releng_dashboard (
    category character varying NOT NULL,
    "timestamp" timestamp without time zone NOT NULL,
    msg_id character varying NOT NULL,
    status character varying NOT NULL,
    link character varying
);


--
-- Name: statscache_coverage; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statscache_coverage (
    ident character varying NOT NULL,
    start double precision NOT NULL,
    "end" double precision NOT NULL
);


--
-- Name: statscache_failed_stretch; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statscache_failed_stretch (
    id integer NOT NULL,
    ident character varying NOT NULL,
    start double precision NOT NULL,
    "end" double precision NOT NULL,
    reason character varying NOT NULL,
    noted_at double precision NOT NULL
);


--
-- Name: statscache_failed_stretch_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.statscache_failed_stretch_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: statscache_failed_stretch_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.statscache_failed_stretch_id_seq OWNED BY public.statscache_failed_stretch.id;


--
-- Name: statscache_ledger; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statscache_ledger (
    msg_id character varying NOT NULL,
    hour integer NOT NULL,
    "timestamp" double precision NOT NULL,
    plugin_set_id integer NOT NULL
);


--
-- Name: statscache_plugin_set; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statscache_plugin_set (
    id integer NOT NULL,
    idents character varying NOT NULL
);


--
-- Name: statscache_plugin_set_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.statscache_plugin_set_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: statscache_plugin_set_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.statscache_plugin_set_id_seq OWNED BY public.statscache_plugin_set.id;


--
-- Name: statscache_plugin_state; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statscache_plugin_state (
    ident character varying NOT NULL,
    latest timestamp without time zone
);


--
-- Name: statscache_quarantine; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statscache_quarantine (
    ident character varying NOT NULL,
    msg_id character varying NOT NULL,
    "timestamp" double precision NOT NULL,
    reason character varying NOT NULL,
    noted_at double precision NOT NULL
);


--
-- Name: statscache_tally; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statscache_tally (
    table_name character varying NOT NULL,
    bucket bigint NOT NULL,
    category character varying NOT NULL,
    row_count bigint NOT NULL
);


--
-- Name: volume_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_1d (
    "timestamp" timestamp without time zone NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_1h (
    "timestamp" timestamp without time zone NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_1m (
    "timestamp" timestamp without time zone NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_category_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_category_1d (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_category_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_category_1h (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_category_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_category_1m (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_package_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_package_1d (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_package_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_package_1h (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_package_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_package_1m (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_topic_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_topic_1d (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_topic_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_topic_1h (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_topic_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_topic_1m (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_user_1d; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_user_1d (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_user_1h; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_user_1h (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: volume_by_user_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.volume_by_user_1m (
    "timestamp" timestamp without time zone NOT NULL,
    category character varying NOT NULL,
    volume bigint NOT NULL
);


--
-- Name: statscache_failed_stretch id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_failed_stretch ALTER COLUMN id SET DEFAULT nextval('public.statscache_failed_stretch_id_seq'::regclass);


--
-- Name: statscache_plugin_set id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_plugin_set ALTER COLUMN id SET DEFAULT nextval('public.statscache_plugin_set_id_seq'::regclass);


--
-- Name: build_outcomes_1d build_outcomes_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.build_outcomes_1d
    ADD CONSTRAINT build_outcomes_1d_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: build_outcomes_1h build_outcomes_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.build_outcomes_1h
    ADD CONSTRAINT build_outcomes_1h_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: build_outcomes_1m build_outcomes_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.build_outcomes_1m
    ADD CONSTRAINT build_outcomes_1m_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: latest_builds latest_builds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.latest_builds
    ADD CONSTRAINT latest_builds_pkey PRIMARY KEY (category);


--
-- Name: pagure_contributions_1d pagure_contributions_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_1d
    ADD CONSTRAINT pagure_contributions_1d_pkey PRIMARY KEY ("timestamp");


--
-- Name: pagure_contributions_1h pagure_contributions_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_1h
    ADD CONSTRAINT pagure_contributions_1h_pkey PRIMARY KEY ("timestamp");


--
-- Name: pagure_contributions_1m pagure_contributions_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_1m
    ADD CONSTRAINT pagure_contributions_1m_pkey PRIMARY KEY ("timestamp");


--
-- Name: pagure_contributions_by_project_1d pagure_contributions_by_project_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_by_project_1d
    ADD CONSTRAINT pagure_contributions_by_project_1d_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: pagure_contributions_by_project_1h pagure_contributions_by_project_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_by_project_1h
    ADD CONSTRAINT pagure_contributions_by_project_1h_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: pagure_contributions_by_project_1m pagure_contributions_by_project_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_by_project_1m
    ADD CONSTRAINT pagure_contributions_by_project_1m_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: pagure_contributions_by_user_1d pagure_contributions_by_user_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_by_user_1d
    ADD CONSTRAINT pagure_contributions_by_user_1d_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: pagure_contributions_by_user_1h pagure_contributions_by_user_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_by_user_1h
    ADD CONSTRAINT pagure_contributions_by_user_1h_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: pagure_contributions_by_user_1m pagure_contributions_by_user_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pagure_contributions_by_user_1m
    ADD CONSTRAINT pagure_contributions_by_user_1m_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: releng_dashboard releng_dashboard_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.releng_dashboard
    ADD CONSTRAINT releng_dashboard_pkey PRIMARY KEY (category);


--
-- Name: statscache_coverage statscache_coverage_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_coverage
    ADD CONSTRAINT statscache_coverage_pkey PRIMARY KEY (ident, start);


--
-- Name: statscache_failed_stretch statscache_failed_stretch_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_failed_stretch
    ADD CONSTRAINT statscache_failed_stretch_pkey PRIMARY KEY (id);


--
-- Name: statscache_ledger statscache_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_ledger
    ADD CONSTRAINT statscache_ledger_pkey PRIMARY KEY (msg_id);


--
-- Name: statscache_plugin_set statscache_plugin_set_idents_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_plugin_set
    ADD CONSTRAINT statscache_plugin_set_idents_key UNIQUE (idents);


--
-- Name: statscache_plugin_set statscache_plugin_set_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_plugin_set
    ADD CONSTRAINT statscache_plugin_set_pkey PRIMARY KEY (id);


--
-- Name: statscache_plugin_state statscache_plugin_state_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_plugin_state
    ADD CONSTRAINT statscache_plugin_state_pkey PRIMARY KEY (ident);


--
-- Name: statscache_quarantine statscache_quarantine_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_quarantine
    ADD CONSTRAINT statscache_quarantine_pkey PRIMARY KEY (ident, msg_id);


--
-- Name: statscache_tally statscache_tally_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statscache_tally
    ADD CONSTRAINT statscache_tally_pkey PRIMARY KEY (table_name, bucket, category);


--
-- Name: volume_1d volume_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_1d
    ADD CONSTRAINT volume_1d_pkey PRIMARY KEY ("timestamp");


--
-- Name: volume_1h volume_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_1h
    ADD CONSTRAINT volume_1h_pkey PRIMARY KEY ("timestamp");


--
-- Name: volume_1m volume_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_1m
    ADD CONSTRAINT volume_1m_pkey PRIMARY KEY ("timestamp");


--
-- Name: volume_by_category_1d volume_by_category_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_category_1d
    ADD CONSTRAINT volume_by_category_1d_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_category_1h volume_by_category_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_category_1h
    ADD CONSTRAINT volume_by_category_1h_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_category_1m volume_by_category_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_category_1m
    ADD CONSTRAINT volume_by_category_1m_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_package_1d volume_by_package_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_package_1d
    ADD CONSTRAINT volume_by_package_1d_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_package_1h volume_by_package_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_package_1h
    ADD CONSTRAINT volume_by_package_1h_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_package_1m volume_by_package_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_package_1m
    ADD CONSTRAINT volume_by_package_1m_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_topic_1d volume_by_topic_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_topic_1d
    ADD CONSTRAINT volume_by_topic_1d_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_topic_1h volume_by_topic_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_topic_1h
    ADD CONSTRAINT volume_by_topic_1h_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_topic_1m volume_by_topic_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_topic_1m
    ADD CONSTRAINT volume_by_topic_1m_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_user_1d volume_by_user_1d_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_user_1d
    ADD CONSTRAINT volume_by_user_1d_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_user_1h volume_by_user_1h_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_user_1h
    ADD CONSTRAINT volume_by_user_1h_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: volume_by_user_1m volume_by_user_1m_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.volume_by_user_1m
    ADD CONSTRAINT volume_by_user_1m_pkey PRIMARY KEY ("timestamp", category);


--
-- Name: ix_latest_builds_timestamp; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_latest_builds_timestamp ON public.latest_builds USING btree ("timestamp");


--
-- Name: ix_releng_dashboard_timestamp; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_releng_dashboard_timestamp ON public.releng_dashboard USING btree ("timestamp");


--
-- Name: ix_statscache_failed_stretch_ident; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_statscache_failed_stretch_ident ON public.statscache_failed_stretch USING btree (ident);


--
-- Name: build_outcomes_1d build_outcomes_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER build_outcomes_1d_tally_delete AFTER DELETE ON public.build_outcomes_1d FOR EACH ROW EXECUTE FUNCTION public.build_outcomes_1d_tally();


--
-- Name: build_outcomes_1d build_outcomes_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER build_outcomes_1d_tally_update AFTER UPDATE OF "timestamp", category ON public.build_outcomes_1d FOR EACH ROW EXECUTE FUNCTION public.build_outcomes_1d_tally();


--
-- Name: build_outcomes_1h build_outcomes_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER build_outcomes_1h_tally_delete AFTER DELETE ON public.build_outcomes_1h FOR EACH ROW EXECUTE FUNCTION public.build_outcomes_1h_tally();


--
-- Name: build_outcomes_1h build_outcomes_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER build_outcomes_1h_tally_update AFTER UPDATE OF "timestamp", category ON public.build_outcomes_1h FOR EACH ROW EXECUTE FUNCTION public.build_outcomes_1h_tally();


--
-- Name: build_outcomes_1m build_outcomes_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER build_outcomes_1m_tally_delete AFTER DELETE ON public.build_outcomes_1m FOR EACH ROW EXECUTE FUNCTION public.build_outcomes_1m_tally();


--
-- Name: build_outcomes_1m build_outcomes_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER build_outcomes_1m_tally_update AFTER UPDATE OF "timestamp", category ON public.build_outcomes_1m FOR EACH ROW EXECUTE FUNCTION public.build_outcomes_1m_tally();


--
-- Name: latest_builds latest_builds_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER latest_builds_tally_delete AFTER DELETE ON public.latest_builds FOR EACH ROW EXECUTE FUNCTION public.latest_builds_tally();


--
-- Name: latest_builds latest_builds_tally_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER latest_builds_tally_insert AFTER INSERT ON public.latest_builds FOR EACH ROW EXECUTE FUNCTION public.latest_builds_tally();


--
-- Name: latest_builds latest_builds_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER latest_builds_tally_update AFTER UPDATE OF "timestamp", category ON public.latest_builds FOR EACH ROW EXECUTE FUNCTION public.latest_builds_tally();


--
-- Name: pagure_contributions_1d pagure_contributions_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_1d_tally_delete AFTER DELETE ON public.pagure_contributions_1d FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_1d_tally();


--
-- Name: pagure_contributions_1d pagure_contributions_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_1d_tally_update AFTER UPDATE OF "timestamp" ON public.pagure_contributions_1d FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_1d_tally();


--
-- Name: pagure_contributions_1h pagure_contributions_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_1h_tally_delete AFTER DELETE ON public.pagure_contributions_1h FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_1h_tally();


--
-- Name: pagure_contributions_1h pagure_contributions_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_1h_tally_update AFTER UPDATE OF "timestamp" ON public.pagure_contributions_1h FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_1h_tally();


--
-- Name: pagure_contributions_1m pagure_contributions_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_1m_tally_delete AFTER DELETE ON public.pagure_contributions_1m FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_1m_tally();


--
-- Name: pagure_contributions_1m pagure_contributions_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_1m_tally_update AFTER UPDATE OF "timestamp" ON public.pagure_contributions_1m FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_1m_tally();


--
-- Name: pagure_contributions_by_project_1d pagure_contributions_by_project_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_project_1d_tally_delete AFTER DELETE ON public.pagure_contributions_by_project_1d FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_project_1d_tally();


--
-- Name: pagure_contributions_by_project_1d pagure_contributions_by_project_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_project_1d_tally_update AFTER UPDATE OF "timestamp", category ON public.pagure_contributions_by_project_1d FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_project_1d_tally();


--
-- Name: pagure_contributions_by_project_1h pagure_contributions_by_project_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_project_1h_tally_delete AFTER DELETE ON public.pagure_contributions_by_project_1h FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_project_1h_tally();


--
-- Name: pagure_contributions_by_project_1h pagure_contributions_by_project_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_project_1h_tally_update AFTER UPDATE OF "timestamp", category ON public.pagure_contributions_by_project_1h FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_project_1h_tally();


--
-- Name: pagure_contributions_by_project_1m pagure_contributions_by_project_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_project_1m_tally_delete AFTER DELETE ON public.pagure_contributions_by_project_1m FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_project_1m_tally();


--
-- Name: pagure_contributions_by_project_1m pagure_contributions_by_project_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_project_1m_tally_update AFTER UPDATE OF "timestamp", category ON public.pagure_contributions_by_project_1m FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_project_1m_tally();


--
-- Name: pagure_contributions_by_user_1d pagure_contributions_by_user_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_user_1d_tally_delete AFTER DELETE ON public.pagure_contributions_by_user_1d FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_user_1d_tally();


--
-- Name: pagure_contributions_by_user_1d pagure_contributions_by_user_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_user_1d_tally_update AFTER UPDATE OF "timestamp", category ON public.pagure_contributions_by_user_1d FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_user_1d_tally();


--
-- Name: pagure_contributions_by_user_1h pagure_contributions_by_user_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_user_1h_tally_delete AFTER DELETE ON public.pagure_contributions_by_user_1h FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_user_1h_tally();


--
-- Name: pagure_contributions_by_user_1h pagure_contributions_by_user_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_user_1h_tally_update AFTER UPDATE OF "timestamp", category ON public.pagure_contributions_by_user_1h FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_user_1h_tally();


--
-- Name: pagure_contributions_by_user_1m pagure_contributions_by_user_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_user_1m_tally_delete AFTER DELETE ON public.pagure_contributions_by_user_1m FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_user_1m_tally();


--
-- Name: pagure_contributions_by_user_1m pagure_contributions_by_user_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER pagure_contributions_by_user_1m_tally_update AFTER UPDATE OF "timestamp", category ON public.pagure_contributions_by_user_1m FOR EACH ROW EXECUTE FUNCTION public.pagure_contributions_by_user_1m_tally();


--
-- Name: releng_dashboard releng_dashboard_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER releng_dashboard_tally_delete AFTER DELETE ON public.releng_dashboard FOR EACH ROW EXECUTE FUNCTION public.releng_dashboard_tally();


--
-- Name: releng_dashboard releng_dashboard_tally_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER releng_dashboard_tally_insert AFTER INSERT ON public.releng_dashboard FOR EACH ROW EXECUTE FUNCTION public.releng_dashboard_tally();


--
-- Name: releng_dashboard releng_dashboard_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER releng_dashboard_tally_update AFTER UPDATE OF "timestamp", category ON public.releng_dashboard FOR EACH ROW EXECUTE FUNCTION public.releng_dashboard_tally();


--
-- Name: volume_1d volume_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_1d_tally_delete AFTER DELETE ON public.volume_1d FOR EACH ROW EXECUTE FUNCTION public.volume_1d_tally();


--
-- Name: volume_1d volume_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_1d_tally_update AFTER UPDATE OF "timestamp" ON public.volume_1d FOR EACH ROW EXECUTE FUNCTION public.volume_1d_tally();


--
-- Name: volume_1h volume_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_1h_tally_delete AFTER DELETE ON public.volume_1h FOR EACH ROW EXECUTE FUNCTION public.volume_1h_tally();


--
-- Name: volume_1h volume_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_1h_tally_update AFTER UPDATE OF "timestamp" ON public.volume_1h FOR EACH ROW EXECUTE FUNCTION public.volume_1h_tally();


--
-- Name: volume_1m volume_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_1m_tally_delete AFTER DELETE ON public.volume_1m FOR EACH ROW EXECUTE FUNCTION public.volume_1m_tally();


--
-- Name: volume_1m volume_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_1m_tally_update AFTER UPDATE OF "timestamp" ON public.volume_1m FOR EACH ROW EXECUTE FUNCTION public.volume_1m_tally();


--
-- Name: volume_by_category_1d volume_by_category_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_category_1d_tally_delete AFTER DELETE ON public.volume_by_category_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_category_1d_tally();


--
-- Name: volume_by_category_1d volume_by_category_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_category_1d_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_category_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_category_1d_tally();


--
-- Name: volume_by_category_1h volume_by_category_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_category_1h_tally_delete AFTER DELETE ON public.volume_by_category_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_category_1h_tally();


--
-- Name: volume_by_category_1h volume_by_category_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_category_1h_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_category_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_category_1h_tally();


--
-- Name: volume_by_category_1m volume_by_category_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_category_1m_tally_delete AFTER DELETE ON public.volume_by_category_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_category_1m_tally();


--
-- Name: volume_by_category_1m volume_by_category_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_category_1m_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_category_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_category_1m_tally();


--
-- Name: volume_by_package_1d volume_by_package_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_package_1d_tally_delete AFTER DELETE ON public.volume_by_package_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_package_1d_tally();


--
-- Name: volume_by_package_1d volume_by_package_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_package_1d_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_package_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_package_1d_tally();


--
-- Name: volume_by_package_1h volume_by_package_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_package_1h_tally_delete AFTER DELETE ON public.volume_by_package_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_package_1h_tally();


--
-- Name: volume_by_package_1h volume_by_package_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_package_1h_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_package_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_package_1h_tally();


--
-- Name: volume_by_package_1m volume_by_package_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_package_1m_tally_delete AFTER DELETE ON public.volume_by_package_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_package_1m_tally();


--
-- Name: volume_by_package_1m volume_by_package_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_package_1m_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_package_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_package_1m_tally();


--
-- Name: volume_by_topic_1d volume_by_topic_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_topic_1d_tally_delete AFTER DELETE ON public.volume_by_topic_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_topic_1d_tally();


--
-- Name: volume_by_topic_1d volume_by_topic_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_topic_1d_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_topic_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_topic_1d_tally();


--
-- Name: volume_by_topic_1h volume_by_topic_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_topic_1h_tally_delete AFTER DELETE ON public.volume_by_topic_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_topic_1h_tally();


--
-- Name: volume_by_topic_1h volume_by_topic_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_topic_1h_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_topic_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_topic_1h_tally();


--
-- Name: volume_by_topic_1m volume_by_topic_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_topic_1m_tally_delete AFTER DELETE ON public.volume_by_topic_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_topic_1m_tally();


--
-- Name: volume_by_topic_1m volume_by_topic_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_topic_1m_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_topic_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_topic_1m_tally();


--
-- Name: volume_by_user_1d volume_by_user_1d_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_user_1d_tally_delete AFTER DELETE ON public.volume_by_user_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_user_1d_tally();


--
-- Name: volume_by_user_1d volume_by_user_1d_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_user_1d_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_user_1d FOR EACH ROW EXECUTE FUNCTION public.volume_by_user_1d_tally();


--
-- Name: volume_by_user_1h volume_by_user_1h_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_user_1h_tally_delete AFTER DELETE ON public.volume_by_user_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_user_1h_tally();


--
-- Name: volume_by_user_1h volume_by_user_1h_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_user_1h_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_user_1h FOR EACH ROW EXECUTE FUNCTION public.volume_by_user_1h_tally();


--
-- Name: volume_by_user_1m volume_by_user_1m_tally_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_user_1m_tally_delete AFTER DELETE ON public.volume_by_user_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_user_1m_tally();


--
-- Name: volume_by_user_1m volume_by_user_1m_tally_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER volume_by_user_1m_tally_update AFTER UPDATE OF "timestamp", category ON public.volume_by_user_1m FOR EACH ROW EXECUTE FUNCTION public.volume_by_user_1m_tally();


--
-- PostgreSQL database dump complete
--



