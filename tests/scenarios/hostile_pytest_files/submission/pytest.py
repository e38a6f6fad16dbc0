raise SystemExit("this pytest.py must never be imported by the judge")
