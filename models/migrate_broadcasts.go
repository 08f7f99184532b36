package models

import "gorm.io/gorm"

// broadcasts (step 11) creates the office's broadcasts to deputies
// (空中讲堂) and their recipients (docs/ARCHITECTURE.md#broadcasts).
// Frozen DDL for each dialect; every statement is IF NOT EXISTS, so a run
// that stopped half way on MySQL runs again.
func broadcastTables(tx *gorm.DB) error { return execDDL(tx, broadcastsSQLite, broadcastsMySQL) }

var broadcastsSQLite = []string{
	"CREATE TABLE IF NOT EXISTS `broadcasts` (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL,`title` text NOT NULL,`body` text NOT NULL,`attachment_path` text NOT NULL DEFAULT \"\",`attachment_name` text NOT NULL DEFAULT \"\",`attachment_size` integer NOT NULL DEFAULT 0,`audience` text NOT NULL,`audience_ids` text NOT NULL DEFAULT \"\",`township` text NOT NULL DEFAULT \"\",`session_at` datetime,`session_place` text NOT NULL DEFAULT \"\",`signup_until` datetime,`created_by_staff_id` integer NOT NULL,`sent_at` datetime,`created_at` datetime,`updated_at` datetime)",
	"CREATE TABLE IF NOT EXISTS `broadcast_recipients` (`broadcast_id` integer,`deputy_id` integer,`notified_at` datetime,`capped` numeric NOT NULL DEFAULT false,`read_at` datetime,`signed_up_at` datetime,`attended_at` datetime,PRIMARY KEY (`broadcast_id`,`deputy_id`))",
	"CREATE INDEX IF NOT EXISTS `idx_broadcast_recipient_deputy` ON `broadcast_recipients`(`deputy_id`,`notified_at`)",
}

var broadcastsMySQL = []string{
	"CREATE TABLE IF NOT EXISTS `broadcasts` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `kind` varchar(16) NOT NULL,\n" +
		"  `title` varchar(100) NOT NULL,\n" +
		"  `body` text NOT NULL,\n" +
		"  `attachment_path` varchar(255) NOT NULL DEFAULT '',\n" +
		"  `attachment_name` varchar(100) NOT NULL DEFAULT '',\n" +
		"  `attachment_size` bigint(20) NOT NULL DEFAULT 0,\n" +
		"  `audience` varchar(16) NOT NULL,\n" +
		"  `audience_ids` varchar(500) NOT NULL DEFAULT '',\n" +
		"  `township` varchar(50) NOT NULL DEFAULT '',\n" +
		"  `session_at` datetime(3) DEFAULT NULL,\n" +
		"  `session_place` varchar(100) NOT NULL DEFAULT '',\n" +
		"  `signup_until` datetime(3) DEFAULT NULL,\n" +
		"  `created_by_staff_id` bigint(20) unsigned NOT NULL,\n" +
		"  `sent_at` datetime(3) DEFAULT NULL,\n" +
		"  `created_at` datetime(3) DEFAULT NULL,\n" +
		"  `updated_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `broadcast_recipients` (\n" +
		"  `broadcast_id` bigint(20) unsigned NOT NULL,\n" +
		"  `deputy_id` bigint(20) unsigned NOT NULL,\n" +
		"  `notified_at` datetime(3) DEFAULT NULL,\n" +
		"  `capped` tinyint(1) NOT NULL DEFAULT 0,\n" +
		"  `read_at` datetime(3) DEFAULT NULL,\n" +
		"  `signed_up_at` datetime(3) DEFAULT NULL,\n" +
		"  `attended_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`broadcast_id`,`deputy_id`),\n" +
		"  KEY `idx_broadcast_recipient_deputy` (`deputy_id`,`notified_at`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
}
