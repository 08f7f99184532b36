package models

import "gorm.io/gorm"

// deputyRecords (step 8) creates the deputies' records: activities and
// their evidence files, deputy groups and their members, and the yearly
// evaluations with their weights and self-assessments
// (docs/ARCHITECTURE.md#deputies-records). Frozen DDL for each dialect;
// every statement is IF NOT EXISTS, so a run that stopped half way on
// MySQL runs again.
func deputyRecords(tx *gorm.DB) error { return execDDL(tx, deputyRecordsSQLite, deputyRecordsMySQL) }

var deputyRecordsSQLite = []string{
	"CREATE TABLE IF NOT EXISTS `activities` (`id` integer PRIMARY KEY AUTOINCREMENT,`deputy_id` integer NOT NULL,`type` text NOT NULL,`date` text NOT NULL,`title` text NOT NULL,`description` text NOT NULL,`voters` integer NOT NULL DEFAULT 0,`source` text NOT NULL,`source_key` text,`status` text NOT NULL,`reject_reason` text NOT NULL DEFAULT \"\",`reviewer_id` integer,`reviewed_at` datetime,`entered_by_staff_id` integer,`created_at` datetime,`updated_at` datetime)",
	"CREATE INDEX IF NOT EXISTS `idx_activities_status` ON `activities`(`status`)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `idx_activities_source_key` ON `activities`(`source_key`)",
	"CREATE INDEX IF NOT EXISTS `idx_activities_type` ON `activities`(`type`)",
	"CREATE INDEX IF NOT EXISTS `idx_activity_deputy_date` ON `activities`(`deputy_id`,`date`)",
	"CREATE TABLE IF NOT EXISTS `activity_files` (`id` integer PRIMARY KEY AUTOINCREMENT,`activity_id` integer NOT NULL,`kind` text NOT NULL,`name` text NOT NULL,`path` text NOT NULL,`size` integer NOT NULL,`created_at` datetime)",
	"CREATE INDEX IF NOT EXISTS `idx_activity_files_activity_id` ON `activity_files`(`activity_id`)",
	"CREATE TABLE IF NOT EXISTS `deputy_groups` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`township` text NOT NULL DEFAULT \"\",`leader_id` integer,`created_at` datetime,`updated_at` datetime)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `idx_deputy_groups_name` ON `deputy_groups`(`name`)",
	"CREATE TABLE IF NOT EXISTS `deputy_group_members` (`deputy_group_id` integer,`deputy_id` integer,PRIMARY KEY (`deputy_group_id`,`deputy_id`))",
	"CREATE TABLE IF NOT EXISTS `evaluations` (`id` integer PRIMARY KEY AUTOINCREMENT,`year` integer NOT NULL,`level` text NOT NULL,`township` text NOT NULL DEFAULT \"\",`status` text NOT NULL,`min_months` integer NOT NULL DEFAULT 6,`closed_at` datetime,`created_at` datetime,`updated_at` datetime)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `idx_evaluation` ON `evaluations`(`year`,`level`,`township`)",
	"CREATE TABLE IF NOT EXISTS `evaluation_weights` (`evaluation_id` integer,`type` text,`points` real NOT NULL,`max_points` real NOT NULL,PRIMARY KEY (`evaluation_id`,`type`))",
	"CREATE TABLE IF NOT EXISTS `self_assessments` (`evaluation_id` integer,`deputy_id` integer,`text` text NOT NULL,`grade` text NOT NULL DEFAULT \"\",`voter_rating` text NOT NULL DEFAULT \"\",`submitted_at` datetime,`updated_at` datetime,PRIMARY KEY (`evaluation_id`,`deputy_id`))",
}

var deputyRecordsMySQL = []string{
	"CREATE TABLE IF NOT EXISTS `activities` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `deputy_id` bigint(20) unsigned NOT NULL,\n" +
		"  `type` varchar(16) NOT NULL,\n" +
		"  `date` varchar(10) NOT NULL,\n" +
		"  `title` varchar(100) NOT NULL,\n" +
		"  `description` text NOT NULL,\n" +
		"  `voters` bigint(20) NOT NULL DEFAULT 0,\n" +
		"  `source` varchar(8) NOT NULL,\n" +
		"  `source_key` varchar(64) DEFAULT NULL,\n" +
		"  `status` varchar(10) NOT NULL,\n" +
		"  `reject_reason` varchar(255) NOT NULL DEFAULT '',\n" +
		"  `reviewer_id` bigint(20) unsigned DEFAULT NULL,\n" +
		"  `reviewed_at` datetime(3) DEFAULT NULL,\n" +
		"  `entered_by_staff_id` bigint(20) unsigned DEFAULT NULL,\n" +
		"  `created_at` datetime(3) DEFAULT NULL,\n" +
		"  `updated_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `idx_activities_source_key` (`source_key`),\n" +
		"  KEY `idx_activity_deputy_date` (`deputy_id`,`date`),\n" +
		"  KEY `idx_activities_type` (`type`),\n" +
		"  KEY `idx_activities_status` (`status`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `activity_files` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `activity_id` bigint(20) unsigned NOT NULL,\n" +
		"  `kind` varchar(8) NOT NULL,\n" +
		"  `name` varchar(100) NOT NULL,\n" +
		"  `path` varchar(255) NOT NULL,\n" +
		"  `size` bigint(20) NOT NULL,\n" +
		"  `created_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `idx_activity_files_activity_id` (`activity_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `deputy_group_members` (\n" +
		"  `deputy_group_id` bigint(20) unsigned NOT NULL,\n" +
		"  `deputy_id` bigint(20) unsigned NOT NULL,\n" +
		"  PRIMARY KEY (`deputy_group_id`,`deputy_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `deputy_groups` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `name` varchar(100) NOT NULL,\n" +
		"  `township` varchar(50) NOT NULL DEFAULT '',\n" +
		"  `leader_id` bigint(20) unsigned DEFAULT NULL,\n" +
		"  `created_at` datetime(3) DEFAULT NULL,\n" +
		"  `updated_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `idx_deputy_groups_name` (`name`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `evaluation_weights` (\n" +
		"  `evaluation_id` bigint(20) unsigned NOT NULL,\n" +
		"  `type` varchar(16) NOT NULL,\n" +
		"  `points` double NOT NULL,\n" +
		"  `max_points` double NOT NULL,\n" +
		"  PRIMARY KEY (`evaluation_id`,`type`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `evaluations` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `year` bigint(20) NOT NULL,\n" +
		"  `level` varchar(16) NOT NULL,\n" +
		"  `township` varchar(50) NOT NULL DEFAULT '',\n" +
		"  `status` varchar(8) NOT NULL,\n" +
		"  `min_months` bigint(20) NOT NULL DEFAULT 6,\n" +
		"  `closed_at` datetime(3) DEFAULT NULL,\n" +
		"  `created_at` datetime(3) DEFAULT NULL,\n" +
		"  `updated_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `idx_evaluation` (`year`,`level`,`township`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `self_assessments` (\n" +
		"  `evaluation_id` bigint(20) unsigned NOT NULL,\n" +
		"  `deputy_id` bigint(20) unsigned NOT NULL,\n" +
		"  `text` text NOT NULL,\n" +
		"  `grade` varchar(8) NOT NULL DEFAULT '',\n" +
		"  `voter_rating` varchar(50) NOT NULL DEFAULT '',\n" +
		"  `submitted_at` datetime(3) DEFAULT NULL,\n" +
		"  `updated_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`evaluation_id`,`deputy_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
}
