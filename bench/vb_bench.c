/* placeholder, replaced by the bench harness */
