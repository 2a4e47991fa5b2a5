DROP TABLE support_sheet_concerns;
DROP TABLE support_sheet_versions;
DROP TABLE support_sheets;
