"""Cross-cutting pieces every module uses: tenancy, permissions, money, time, audit, errors."""
