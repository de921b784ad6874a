from forum.warmup import warm_up


def test_warming_up_compiles_every_template_and_never_touches_the_database(caplog):
    # No django_db mark: any database access fails this test. gunicorn forks its workers after
    # the warm-up, and a connection opened here would be shared by all of them.
    warm_up()
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
