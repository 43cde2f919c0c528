-- The schema statscache 0.1.0 (commit c413571, 2026-11-30) made on SQLite with every built-in plugin
-- and the default intervals (1m, 1h, 1d): the previous release, for the upgrade tests.
CREATE TABLE build_outcomes_1d (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE build_outcomes_1h (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE build_outcomes_1m (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE latest_builds (
	category VARCHAR NOT NULL, 
	timestamp DATETIME NOT NULL, 
	msg_id VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	link VARCHAR, 
	PRIMARY KEY (category)
);
CREATE TABLE pagure_contributions_1d (
	timestamp DATETIME NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp)
);
CREATE TABLE pagure_contributions_1h (
	timestamp DATETIME NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp)
);
CREATE TABLE pagure_contributions_1m (
	timestamp DATETIME NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp)
);
CREATE TABLE pagure_contributions_by_project_1d (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE pagure_contributions_by_project_1h (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE pagure_contributions_by_project_1m (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE pagure_contributions_by_user_1d (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE pagure_contributions_by_user_1h (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE pagure_contributions_by_user_1m (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE releng_dashboard (
	category VARCHAR NOT NULL, 
	timestamp DATETIME NOT NULL, 
	msg_id VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	link VARCHAR, 
	PRIMARY KEY (category)
);
CREATE TABLE statscache_coverage (
	ident VARCHAR NOT NULL, 
	start FLOAT NOT NULL, 
	"end" FLOAT NOT NULL, 
	PRIMARY KEY (ident, start)
);
CREATE TABLE statscache_failed_stretch (
	id INTEGER NOT NULL, 
	ident VARCHAR NOT NULL, 
	start FLOAT NOT NULL, 
	"end" FLOAT NOT NULL, 
	reason VARCHAR NOT NULL, 
	noted_at FLOAT NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE statscache_ledger (
	msg_id VARCHAR NOT NULL, 
	hour INTEGER NOT NULL, 
	timestamp FLOAT NOT NULL, 
	plugin_set_id INTEGER NOT NULL, 
	PRIMARY KEY (msg_id)
)
 WITHOUT ROWID;
CREATE TABLE statscache_plugin_set (
	id INTEGER NOT NULL, 
	idents VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (idents)
);
CREATE TABLE statscache_plugin_state (
	ident VARCHAR NOT NULL, 
	latest DATETIME, 
	PRIMARY KEY (ident)
);
CREATE TABLE statscache_quarantine (
	ident VARCHAR NOT NULL, 
	msg_id VARCHAR NOT NULL, 
	timestamp FLOAT NOT NULL, 
	reason VARCHAR NOT NULL, 
	noted_at FLOAT NOT NULL, 
	PRIMARY KEY (ident, msg_id)
);
CREATE TABLE statscache_tally (
	table_name VARCHAR NOT NULL, 
	bucket BIGINT NOT NULL, 
	category VARCHAR NOT NULL, 
	row_count BIGINT NOT NULL, 
	PRIMARY KEY (table_name, bucket, category)
);
CREATE TABLE volume_1d (
	timestamp DATETIME NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp)
);
CREATE TABLE volume_1h (
	timestamp DATETIME NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp)
);
CREATE TABLE volume_1m (
	timestamp DATETIME NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp)
);
CREATE TABLE volume_by_category_1d (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_category_1h (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_category_1m (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_package_1d (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_package_1h (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_package_1m (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_topic_1d (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_topic_1h (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_topic_1m (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_user_1d (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_user_1h (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE TABLE volume_by_user_1m (
	timestamp DATETIME NOT NULL, 
	category VARCHAR NOT NULL, 
	volume BIGINT NOT NULL, 
	PRIMARY KEY (timestamp, category)
);
CREATE INDEX ix_latest_builds_timestamp ON latest_builds (timestamp);
CREATE INDEX ix_releng_dashboard_timestamp ON releng_dashboard (timestamp);
CREATE INDEX ix_statscache_failed_stretch_ident ON statscache_failed_stretch (ident);
CREATE TRIGGER "build_outcomes_1d_tally_delete" AFTER DELETE ON "build_outcomes_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "build_outcomes_1d_tally_update" AFTER UPDATE OF timestamp, category ON "build_outcomes_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "build_outcomes_1h_tally_delete" AFTER DELETE ON "build_outcomes_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "build_outcomes_1h_tally_update" AFTER UPDATE OF timestamp, category ON "build_outcomes_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "build_outcomes_1m_tally_delete" AFTER DELETE ON "build_outcomes_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "build_outcomes_1m_tally_update" AFTER UPDATE OF timestamp, category ON "build_outcomes_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('build_outcomes_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "latest_builds_tally_delete" AFTER DELETE ON "latest_builds" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('latest_builds', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "latest_builds_tally_insert" AFTER INSERT ON "latest_builds" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('latest_builds', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "latest_builds_tally_update" AFTER UPDATE OF timestamp, category ON "latest_builds" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('latest_builds', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('latest_builds', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_1d_tally_delete" AFTER DELETE ON "pagure_contributions_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_1d_tally_update" AFTER UPDATE OF timestamp ON "pagure_contributions_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_1h_tally_delete" AFTER DELETE ON "pagure_contributions_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_1h_tally_update" AFTER UPDATE OF timestamp ON "pagure_contributions_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_1m_tally_delete" AFTER DELETE ON "pagure_contributions_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_1m_tally_update" AFTER UPDATE OF timestamp ON "pagure_contributions_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_project_1d_tally_delete" AFTER DELETE ON "pagure_contributions_by_project_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_project_1d_tally_update" AFTER UPDATE OF timestamp, category ON "pagure_contributions_by_project_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_project_1h_tally_delete" AFTER DELETE ON "pagure_contributions_by_project_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_project_1h_tally_update" AFTER UPDATE OF timestamp, category ON "pagure_contributions_by_project_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_project_1m_tally_delete" AFTER DELETE ON "pagure_contributions_by_project_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_project_1m_tally_update" AFTER UPDATE OF timestamp, category ON "pagure_contributions_by_project_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_project_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_user_1d_tally_delete" AFTER DELETE ON "pagure_contributions_by_user_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_user_1d_tally_update" AFTER UPDATE OF timestamp, category ON "pagure_contributions_by_user_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_user_1h_tally_delete" AFTER DELETE ON "pagure_contributions_by_user_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_user_1h_tally_update" AFTER UPDATE OF timestamp, category ON "pagure_contributions_by_user_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_user_1m_tally_delete" AFTER DELETE ON "pagure_contributions_by_user_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "pagure_contributions_by_user_1m_tally_update" AFTER UPDATE OF timestamp, category ON "pagure_contributions_by_user_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('pagure_contributions_by_user_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "releng_dashboard_tally_delete" AFTER DELETE ON "releng_dashboard" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('releng_dashboard', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "releng_dashboard_tally_insert" AFTER INSERT ON "releng_dashboard" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('releng_dashboard', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "releng_dashboard_tally_update" AFTER UPDATE OF timestamp, category ON "releng_dashboard" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('releng_dashboard', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('releng_dashboard', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 604800) * 604800, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_1d_tally_delete" AFTER DELETE ON "volume_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_1d_tally_update" AFTER UPDATE OF timestamp ON "volume_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_1h_tally_delete" AFTER DELETE ON "volume_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_1h_tally_update" AFTER UPDATE OF timestamp ON "volume_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_1m_tally_delete" AFTER DELETE ON "volume_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_1m_tally_update" AFTER UPDATE OF timestamp ON "volume_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, '', -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, '', 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_category_1d_tally_delete" AFTER DELETE ON "volume_by_category_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_category_1d_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_category_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_category_1h_tally_delete" AFTER DELETE ON "volume_by_category_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_category_1h_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_category_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_category_1m_tally_delete" AFTER DELETE ON "volume_by_category_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_category_1m_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_category_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_category_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_package_1d_tally_delete" AFTER DELETE ON "volume_by_package_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_package_1d_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_package_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_package_1h_tally_delete" AFTER DELETE ON "volume_by_package_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_package_1h_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_package_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_package_1m_tally_delete" AFTER DELETE ON "volume_by_package_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_package_1m_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_package_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_package_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_topic_1d_tally_delete" AFTER DELETE ON "volume_by_topic_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_topic_1d_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_topic_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_topic_1h_tally_delete" AFTER DELETE ON "volume_by_topic_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_topic_1h_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_topic_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_topic_1m_tally_delete" AFTER DELETE ON "volume_by_topic_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_topic_1m_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_topic_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_topic_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_user_1d_tally_delete" AFTER DELETE ON "volume_by_user_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_user_1d_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_user_1d" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1d', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1d', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 88473600) * 88473600, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_user_1h_tally_delete" AFTER DELETE ON "volume_by_user_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_user_1h_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_user_1h" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1h', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1h', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 3686400) * 3686400, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_user_1m_tally_delete" AFTER DELETE ON "volume_by_user_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
CREATE TRIGGER "volume_by_user_1m_tally_update" AFTER UPDATE OF timestamp, category ON "volume_by_user_1m" BEGIN INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1m', (CAST(strftime('%s', OLD.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(OLD.category, ''), -1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; INSERT INTO statscache_tally (table_name, bucket, category, row_count) VALUES ('volume_by_user_1m', (CAST(strftime('%s', NEW.timestamp) AS INTEGER) / 61440) * 61440, COALESCE(NEW.category, ''), 1) ON CONFLICT (table_name, bucket, category) DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count; END;
