#!/usr/bin/env python
"""Create a unit and/or a staff account in the configured database (DATABASE_URL), for set-up and demos.

    .venv/bin/python scripts/create_staff.py --unit "成都市税务局纳税服务科" --level city --kind service_department \
        --username zhangsan --name 张三 --role staff
The password is read from the STAFF_PASSWORD environment variable or asked for on the terminal.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys


from sqlalchemy import select  # noqa: E402

from api.auth.security import hash_password  # noqa: E402
from api.database import make_engine, make_session_factory  # noqa: E402
from api.errors import AppError  # noqa: E402
from api.org.models import LEVELS, ROLES, UNIT_KINDS, Unit  # noqa: E402
from api.org.service import create_staff, create_unit  # noqa: E402
from api.settings import get_settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unit", required=True, help="unit name; created if it does not exist")
    parser.add_argument("--level", choices=LEVELS, default="city")
    parser.add_argument("--kind", choices=UNIT_KINDS, default="service_department")
    parser.add_argument("--username")
    parser.add_argument("--name", help="display name of the staff member")
    parser.add_argument("--role", choices=ROLES, default="staff")
    args = parser.parse_args()
    session = make_session_factory(make_engine(get_settings().database_url))()
    try:
        unit = session.execute(select(Unit).where(Unit.name == args.unit)).scalars().first()
        unit = unit or create_unit(session=session, name=args.unit, level=args.level, kind=args.kind)
        if args.username:
            password = os.environ.get("STAFF_PASSWORD") or getpass.getpass("password: ")
            create_staff(session=session, username=args.username, display_name=args.name or args.username,
                         role=args.role, unit_id=unit.id, password_hash=hash_password(password))
        session.commit()
    except (AppError, ValueError) as exc:
        session.rollback()
        print(f"failed: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 2
    finally:
        session.close()
    print(f"unit {unit.id} {unit.name}" + (f"; staff {args.username} ({args.role})" if args.username else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
