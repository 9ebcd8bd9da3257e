package sqldb

// DumpSchemaForTest returns the columns of each table a dump holds, the
// tables it derives, and what it leaves out (tables, and columns as
// table.column), for the test that checks them against the schema.
func DumpSchemaForTest() (tables map[string][]string, derived, leftOut []string) {
	tables = map[string][]string{}
	for _, t := range dumpTables {
		tables[t.name] = t.colNames()
	}
	return tables, dumpDerived, leftOutNames()
}
