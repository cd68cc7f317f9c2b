"""An Airflow DAG running portlab's portfolio report every weekday morning.

Copy it into Airflow's ``dags/`` folder on a worker where portlab is installed. The first
task executes the template with papermill (Airflow's ``PapermillOperator``, from
``apache-airflow-providers-papermill``) into a dated notebook; the second renders it with
portlab into the self-contained HTML page (``portlab report`` does both in one step: the
``BashOperator`` alternative below). portlab's tests read this file and check that the
parameters it passes are the template's.
"""

from __future__ import annotations

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.providers.papermill.operators.papermill import PapermillOperator

from portlab.reports import find_template

TEMPLATE = str(find_template("portfolio").path)
OUT = "/srv/reports/portfolio-{{ ds }}"

with DAG(
    dag_id="portlab_portfolio_report",
    schedule="0 7 * * 1-5",  # 07:00 on weekdays
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    execute = PapermillOperator(
        task_id="execute",
        input_nb=TEMPLATE,
        output_nb=OUT + ".ipynb",
        parameters={
            "portfolio_file": "/srv/data/portfolio.json",
            "market": "/srv/data/prices.csv",
            "sectors_file": "/srv/data/sectors.csv",
            "policy_file": "/srv/data/policy.yaml",
            "confidence": 0.99,
            "title": "Portfolio report {{ ds }}",
        },
    )
    render = BashOperator(
        task_id="render",
        bash_command=(
            "python -c 'import sys; from portlab.reports import to_html; "
            'open(sys.argv[2], "w").write(to_html(sys.argv[1]))\' '
            f"{OUT}.ipynb {OUT}.html"
        ),
    )
    execute >> render

    # the same in one step, parameters checked before any cell runs:
    # BashOperator(task_id="report", bash_command="portlab report portfolio "
    #              "-p portfolio_file /srv/data/portfolio.json --out " + OUT + ".html")
