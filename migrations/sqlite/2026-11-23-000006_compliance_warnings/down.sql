DROP TABLE compliance_warnings;
