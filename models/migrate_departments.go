package models

import "gorm.io/gorm"

// departmentContacts (step 7) lets departments close the transfer loop
// (docs/ARCHITECTURE.md#departments): staffs.department_id binds a
// RoleDepartment contact to their department, opinion_departments gains the
// transfer's note and an index by department (a contact's list), and the
// tables department_replies and department_reply_files hold the replies
// departments submit for the station's review and their attachments. Each
// statement is skipped when done, so a run that stopped half way on MySQL
// runs again.
func departmentContacts(tx *gorm.DB) error {
	my := DialectOf(tx) == MySQL
	mig := tx.Migrator()
	type column struct{ table, name, sqlite, mysql string }
	for _, c := range []column{
		{"staffs", "department_id", "integer", "bigint(20) unsigned DEFAULT NULL"},
		{"opinion_departments", "note", `text NOT NULL DEFAULT ""`, "varchar(2000) NOT NULL DEFAULT ''"},
	} {
		if mig.HasColumn(c.table, c.name) {
			continue
		}
		def := c.sqlite
		if my {
			def = c.mysql
		}
		if err := tx.Exec("ALTER TABLE `" + c.table + "` ADD COLUMN `" + c.name + "` " + def).Error; err != nil {
			return err
		}
	}
	for _, ix := range [][3]string{
		{"staffs", "idx_staffs_department_id", "department_id"},
		{"opinion_departments", "idx_opinion_departments_department_id", "department_id"},
	} {
		if mig.HasIndex(ix[0], ix[1]) {
			continue
		}
		if err := tx.Exec("CREATE INDEX `" + ix[1] + "` ON `" + ix[0] + "`(`" + ix[2] + "`)").Error; err != nil {
			return err
		}
	}
	if my {
		for _, ddl := range []string{
			"CREATE TABLE IF NOT EXISTS `department_replies` (\n" +
				"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
				"  `opinion_id` bigint(20) unsigned NOT NULL,\n" +
				"  `round` bigint(20) NOT NULL,\n" +
				"  `department_id` bigint(20) unsigned NOT NULL,\n" +
				"  `staff_id` bigint(20) unsigned NOT NULL,\n" +
				"  `text` varchar(2000) NOT NULL,\n" +
				"  `status` varchar(16) NOT NULL,\n" +
				"  `review_note` varchar(500) NOT NULL DEFAULT '',\n" +
				"  `reviewed_by` bigint(20) unsigned DEFAULT NULL,\n" +
				"  `reviewed_at` datetime(3) DEFAULT NULL,\n" +
				"  `created_at` datetime(3) DEFAULT NULL,\n" +
				"  `updated_at` datetime(3) DEFAULT NULL,\n" +
				"  PRIMARY KEY (`id`),\n" +
				"  KEY `idx_department_replies_opinion_id` (`opinion_id`),\n" +
				"  KEY `idx_department_replies_department_id` (`department_id`)\n" +
				") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
			"CREATE TABLE IF NOT EXISTS `department_reply_files` (\n" +
				"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
				"  `reply_id` bigint(20) unsigned NOT NULL,\n" +
				"  `opinion_id` bigint(20) unsigned NOT NULL,\n" +
				"  `kind` varchar(8) NOT NULL,\n" +
				"  `name` varchar(100) NOT NULL,\n" +
				"  `path` varchar(255) NOT NULL,\n" +
				"  `sha256` varchar(64) NOT NULL,\n" +
				"  `content_type` varchar(64) NOT NULL,\n" +
				"  `size` bigint(20) NOT NULL,\n" +
				"  `created_at` datetime(3) DEFAULT NULL,\n" +
				"  PRIMARY KEY (`id`),\n" +
				"  UNIQUE KEY `idx_department_reply_files_path` (`path`),\n" +
				"  KEY `idx_department_reply_files_reply_id` (`reply_id`),\n" +
				"  KEY `idx_department_reply_files_opinion_id` (`opinion_id`)\n" +
				") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		} {
			if err := tx.Exec(ddl).Error; err != nil {
				return err
			}
		}
		return nil
	}
	for _, ddl := range []string{
		"CREATE TABLE IF NOT EXISTS `department_replies` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL," +
			"`round` integer NOT NULL,`department_id` integer NOT NULL,`staff_id` integer NOT NULL,`text` text NOT NULL," +
			"`status` text NOT NULL,`review_note` text NOT NULL DEFAULT \"\",`reviewed_by` integer,`reviewed_at` datetime," +
			"`created_at` datetime,`updated_at` datetime)",
		"CREATE INDEX IF NOT EXISTS `idx_department_replies_opinion_id` ON `department_replies`(`opinion_id`)",
		"CREATE INDEX IF NOT EXISTS `idx_department_replies_department_id` ON `department_replies`(`department_id`)",
		"CREATE TABLE IF NOT EXISTS `department_reply_files` (`id` integer PRIMARY KEY AUTOINCREMENT,`reply_id` integer NOT NULL," +
			"`opinion_id` integer NOT NULL,`kind` text NOT NULL,`name` text NOT NULL,`path` text NOT NULL,`sha256` text NOT NULL," +
			"`content_type` text NOT NULL,`size` integer NOT NULL,`created_at` datetime)",
		"CREATE UNIQUE INDEX IF NOT EXISTS `idx_department_reply_files_path` ON `department_reply_files`(`path`)",
		"CREATE INDEX IF NOT EXISTS `idx_department_reply_files_reply_id` ON `department_reply_files`(`reply_id`)",
		"CREATE INDEX IF NOT EXISTS `idx_department_reply_files_opinion_id` ON `department_reply_files`(`opinion_id`)",
	} {
		if err := tx.Exec(ddl).Error; err != nil {
			return err
		}
	}
	return nil
}

func init() {
	addedAfterBaseline = append(addedAfterBaseline,
		"column staffs.department_id ", "index idx_staffs_department_id on staffs ",
		"column opinion_departments.note ", "index idx_opinion_departments_department_id on opinion_departments ",
		"table department_replies ", "table department_reply_files ")
}
