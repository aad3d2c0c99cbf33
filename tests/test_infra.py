"""Infrastructure readers and rules (pinlint.infra): positions of what CloudFormation, SAM,
serverless.yml and Terraform declare, references between resources, suppressions, and the
findings of the PIN3xx rules in every output format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import CATALOG, ROOT, lint, run_cli
from pinlint.infra.checks import CDK_CHECKS, READS_FUNCTION_CODE
from pinlint.infra.cloudformation import read_template
from pinlint.infra.facts import stack_facts
from pinlint.infra.model import Ref, Unknown
from pinlint.infra.terraform import read_module
from pinlint.kinds.infrastructure import InfrastructureMatch

PROXIED_CLUSTER_YAML = """\
Resources:
  OrdersCluster:
    Type: AWS::RDS::DBCluster
    Properties:
      ServerlessV2ScalingConfiguration:
        MinCapacity: {minimum}
  OrdersProxyTargets:
    Type: AWS::RDS::DBProxyTargetGroup
    Properties:
      DBProxyName: !Ref OrdersProxy
      DBClusterIdentifiers: [!Ref OrdersCluster]
"""


def _write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# --- readers ---------------------------------------------------------------------------------------
def test_template_reader_keeps_positions_and_reads_short_and_long_form_references() -> None:
    text = """\
Resources:
  Proxy:
    Type: AWS::RDS::DBProxy
    Properties:
      EngineFamily: POSTGRESQL
      RoleArn: !GetAtt ProxyRole.Arn
      Other: !GetAtt [ProxyRole, Arn]
      Name: !Sub "orders-${Stage}"
      Secret: {"Ref": "OrdersSecret"}
      Picked: !Select [0, [a, b]]
"""
    document = read_template(text, "template.yaml")
    (proxy,) = document.resources
    assert (proxy.kind, proxy.name) == ("AWS::RDS::DBProxy", "Proxy")
    family = proxy.properties.get("EngineFamily")
    assert family is not None and family.data == "POSTGRESQL"
    assert (family.span.line, family.span.column, family.span.end_line, family.span.end_column) == (5, 7, 5, 31)
    assert proxy.properties.get("RoleArn").data == Ref("ProxyRole", "Arn")  # type: ignore[union-attr]
    assert proxy.properties.get("Other").data == Ref("ProxyRole", "Arn")  # type: ignore[union-attr]
    assert proxy.properties.get("Name").data == "orders-${Stage}"  # type: ignore[union-attr]
    assert proxy.properties.get("Secret").data == Ref("OrdersSecret")  # type: ignore[union-attr]
    assert isinstance(proxy.properties.get("Picked").data, Unknown)  # type: ignore[union-attr]


def test_json_template_keeps_positions() -> None:
    text = (
        '{"Resources": {"C": {"Type": "AWS::RDS::DBCluster",\n'
        '  "Properties": {"ServerlessV2ScalingConfiguration": {"MinCapacity": 0}}}}}'
    )
    (cluster,) = read_template(text, "t.json").resources
    minimum = cluster.properties.get("ServerlessV2ScalingConfiguration", "MinCapacity")
    assert minimum is not None and minimum.data == 0
    assert (minimum.span.line, minimum.span.column) == (2, 55)


def test_serverless_yml_resources_section_is_read() -> None:
    text = (
        "service: s\nresources:\n  Resources:\n    P:\n"
        "      Type: AWS::RDS::DBProxy\n      Properties:\n        EngineFamily: MYSQL\n"
    )
    (proxy,) = read_template(text, "serverless.yml").resources
    assert proxy.name == "P" and proxy.span.line == 4


def test_terraform_module_resolves_references_across_files_and_variable_defaults() -> None:
    documents = read_module(
        {
            "tf/variables.tf": 'variable "min" {\n  default = 0\n}\nlocals {\n  family = "MYSQL"\n}\n',
            "tf/main.tf": (
                'resource "aws_rds_cluster" "db" {\n'
                '  cluster_identifier = "orders"\n'
                "  serverlessv2_scaling_configuration {\n"
                "    min_capacity = var.min\n"
                "  }\n"
                "}\n"
            ),
            "tf/proxy.tf": (
                'resource "aws_db_proxy" "p" {\n'
                '  name          = "orders"\n'
                "  engine_family = local.family\n"
                "}\n"
                'resource "aws_db_proxy_target" "t" {\n'
                "  db_proxy_name         = aws_db_proxy.p.name\n"
                "  db_cluster_identifier = aws_rds_cluster.db.cluster_identifier\n"
                "}\n"
            ),
        }
    )
    stack = stack_facts(documents)
    (cluster,) = stack.clusters
    assert cluster.min_capacity is not None and cluster.min_capacity.data == 0
    assert cluster.min_capacity.origin == "var.min, variables.tf line 2"
    assert (cluster.min_capacity.span.path, cluster.min_capacity.span.line, cluster.min_capacity.span.column) == (
        "tf/main.tf",
        4,
        5,
    )
    (pool,) = stack.pools
    assert pool.engine_family == "MYSQL"
    assert pool.proxy is not None and pool.proxy.name == "aws_db_proxy.p"
    assert [target.resource.name for target, _ in pool.clusters] == ["aws_rds_cluster.db"]


def test_terraform_target_by_literal_identifier_and_unknown_values() -> None:
    documents = read_module(
        {
            "main.tf": (
                'resource "aws_rds_cluster" "db" {\n  cluster_identifier = "orders"\n}\n'
                'resource "aws_db_proxy_target" "t" {\n'
                '  db_proxy_name         = "orders-proxy"\n'
                '  db_cluster_identifier = "orders"\n'
                '  note                  = "id-${var.unset}"\n'
                "  count                 = length(var.list)\n"
                "}\n"
            )
        }
    )
    stack = stack_facts(documents)
    assert [target.resource.name for _, pool in [(0, stack.pools[0])] for target, _ in pool.clusters] == [
        "aws_rds_cluster.db"
    ]
    target = next(resource for resource in documents[0].resources if resource.kind == "aws_db_proxy_target")
    assert isinstance(target.properties.get("note").data, Unknown)  # type: ignore[union-attr]
    assert isinstance(target.properties.get("count").data, Unknown)  # type: ignore[union-attr]


# --- rules on a whole run --------------------------------------------------------------------------
def test_scale_to_zero_is_reported_only_behind_a_proxy(tmp_path: Path) -> None:
    _write(tmp_path, {"a/template.yaml": PROXIED_CLUSTER_YAML.format(minimum=0)})
    _write(tmp_path, {"b/template.yaml": PROXIED_CLUSTER_YAML.format(minimum=0.5)})
    alone = (
        "Resources:\n  C:\n    Type: AWS::RDS::DBCluster\n    Properties:\n"
        "      ServerlessV2ScalingConfiguration:\n        MinCapacity: 0\n"
    )
    _write(tmp_path, {"c/template.yaml": alone})
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "a/template.yaml:6:9: PIN301 Serverless v2 cluster `OrdersCluster` has minimum capacity 0 but is a "
        "target of RDS Proxy `OrdersProxy`"
    ]
    assert result.returncode == 1


def test_unreadable_infrastructure_is_one_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "broken/template.yaml": "Resources:\n  A: [AWS::RDS::DBCluster\n",
            "tf/main.tf": 'resource "aws_db_proxy" "p" {\n  name = \n',
            "ok/template.yaml": PROXIED_CLUSTER_YAML.format(minimum=0),
        },
    )
    result = run_cli("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2, result.stderr
    assert "broken/template.yaml" in warnings[0] and "cannot read as a template (line 3)" in warnings[0]
    assert "tf/main.tf" in warnings[1] and "cannot read as Terraform" in warnings[1]
    assert "Traceback" not in result.stderr
    assert "ok/template.yaml:6:9: PIN301" in result.stdout


def test_noqa_comments_in_yaml_and_hcl_and_per_file_ignores(tmp_path: Path) -> None:
    yaml_text = PROXIED_CLUSTER_YAML.format(minimum="0  # noqa: PIN301")
    hcl = (
        'resource "aws_db_proxy_default_target_group" "g" {\n'
        "  connection_pool_config {\n"
        "    connection_borrow_timeout = 0 # noqa: PIN302\n"
        "  }\n"
        "}\n"
        'resource "aws_db_proxy_default_target_group" "h" {\n'
        "  connection_pool_config {\n"
        "    // noqa: PIN302 does not cover the next line\n"
        "    connection_borrow_timeout = 0\n"
        "  }\n"
        "}\n"
    )
    _write(tmp_path, {"a/template.yaml": yaml_text, "tf/main.tf": hcl})
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    assert [line.split(" ")[0:2] for line in result.stdout.splitlines()] == [["tf/main.tf:9:5:", "PIN302"]]
    (tmp_path / "pinlint.toml").write_text('[per-file-ignores]\n"tf/*.tf" = ["PIN302"]\n', encoding="utf-8")
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    assert result.stdout == "" and result.returncode == 0


def test_selection_and_targets_apply_to_infrastructure_rules(tmp_path: Path) -> None:
    _write(tmp_path, {"template.yaml": PROXIED_CLUSTER_YAML.format(minimum=0)})
    for options in (["--ignore", "PIN3"], ["--target", "pgbouncer"], ["--select", "PIN001"]):
        result = run_cli("check", "--no-cache", "--quiet", *options, ".", cwd=tmp_path)
        assert result.stdout == "", options


def test_tool_output_directories_and_excludes_are_not_read(tmp_path: Path) -> None:
    bad = PROXIED_CLUSTER_YAML.format(minimum=0)
    _write(tmp_path, {"cdk.out/Stack.template.yaml": bad, ".aws-sam/build/template.yaml": bad, "gen/t.yaml": bad})
    (tmp_path / "pinlint.toml").write_text('extend-exclude = ["gen"]\n', encoding="utf-8")
    result = run_cli("check", "--no-cache", "--quiet", ".", cwd=tmp_path)
    assert result.stdout == "" and result.stderr == ""


def test_a_template_named_on_the_command_line_is_linted_and_other_yaml_is_quiet(tmp_path: Path) -> None:
    _write(tmp_path, {"template.yaml": PROXIED_CLUSTER_YAML.format(minimum=0), "config.yaml": "a: [1, 2\n"})
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", "template.yaml", cwd=tmp_path)
    assert result.stdout.startswith("template.yaml:6:9: PIN301 ")
    result = run_cli("check", "--no-cache", "--quiet", "config.yaml", cwd=tmp_path)
    assert (result.stdout, result.stderr, result.returncode) == ("", "", 0)


def test_lint_source_reads_a_template_as_editors_send_it() -> None:
    found = lint(PROXIED_CLUSTER_YAML.format(minimum=0), "template.yaml")
    assert [(finding.code, finding.line, finding.column, finding.end_column) for finding in found] == [
        ("PIN301", 6, 9, 23)
    ]


# --- output formats --------------------------------------------------------------------------------
def test_infrastructure_findings_carry_their_region_in_every_format(tmp_path: Path) -> None:
    hcl = (
        'resource "aws_db_proxy_default_target_group" "g" {\n'
        "  connection_pool_config {\n    connection_borrow_timeout = 0\n  }\n}\n"
    )
    _write(tmp_path, {"template.yaml": PROXIED_CLUSTER_YAML.format(minimum=0), "tf/main.tf": hcl})
    sarif = json.loads(run_cli("check", "--no-cache", "--output-format", "sarif", ".", cwd=tmp_path).stdout)
    regions = {
        (result["ruleId"], location["physicalLocation"]["artifactLocation"]["uri"]): location["physicalLocation"][
            "region"
        ]
        for result in sarif["runs"][0]["results"]
        for location in result["locations"]
    }
    assert regions[("PIN301", "template.yaml")] == {"startLine": 6, "startColumn": 9, "endLine": 6, "endColumn": 23}
    assert regions[("PIN302", "tf/main.tf")] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 34}
    github = run_cli("check", "--no-cache", "--output-format", "github", ".", cwd=tmp_path).stdout
    assert "::warning file=template.yaml,line=6,col=9,endColumn=23,title=PIN301" in github
    assert "::error file=tf/main.tf,line=3,col=5,endColumn=34,title=PIN302" in github
    gitlab = json.loads(run_cli("check", "--no-cache", "--output-format", "gitlab", ".", cwd=tmp_path).stdout)
    assert {(item["location"]["path"], item["location"]["lines"]["begin"]) for item in gitlab} == {
        ("template.yaml", 6),
        ("tf/main.tf", 3),
    }
    full = run_cli("check", "--no-cache", "--output-format", "full", ".", cwd=tmp_path).stdout
    assert "6 |         MinCapacity: 0\n  |         ^^^^^^^^^^^^^^ PIN301" in full


def test_every_infrastructure_rule_has_an_example_in_each_flavour_it_reads() -> None:
    for rule in CATALOG:
        if isinstance(rule.kind, InfrastructureMatch):
            flavours = {"yaml", "json", "terraform"} | ({"cdk"} if rule.kind.check_name in CDK_CHECKS else set())
            if rule.kind.check_name == "iam-required-but-password-code":  # Terraform has no inline code:
                flavours.discard("terraform")  # its example needs a code directory (tests/test_iam_auth.py)
            bad_flavours = flavours
            if rule.kind.check_name in READS_FUNCTION_CODE:  # the same: tested with a code directory
                bad_flavours = flavours - {"terraform"}
            assert {example.language for example in rule.bad} == bad_flavours, rule.code
            assert {example.language for example in rule.good} >= flavours, rule.code


CDK_APP = """\
from aws_cdk import Duration
from aws_cdk import aws_rds as rds

db = rds.DatabaseCluster(
    stack, "Db", engine=rds.DatabaseClusterEngine.aurora_mysql(version=V), serverless_v2_min_capacity=0
)
proxy = rds.DatabaseProxy(
    stack,
    "Proxy",
    proxy_target=rds.ProxyTarget.from_cluster(db),
    borrow_timeout=Duration.millis(0),
    session_pinning_filters=[rds.SessionPinningFilter.EXCLUDE_VARIABLE_SETS],  # noqa: PIN305
)
"""


def test_cdk_app_constructs_are_read_from_the_source_at_their_keywords() -> None:
    found = lint(CDK_APP, "infra/app.py")
    assert [(finding.code, finding.line, finding.column) for finding in found] == [
        ("PIN301", 5, 76),
        ("PIN302", 11, 5),
    ]
    assert "RDS Proxy `proxy`" in found[1].message


def test_python_without_database_constructs_is_not_read_as_cdk() -> None:
    source = "import aws_cdk\nfrom aws_cdk import aws_rds as rds\nrds.DatabaseInstance(stack, 'x', max_idle=0)\n"
    assert lint(source, "infra/app.py") == []


def test_terraform_attribute_paths_into_object_defaults_and_heredoc_markers_with_trailing_spaces() -> None:
    text = (
        'variable "cluster" {\n'
        "  default = {\n"
        "    scaling = { min_capacity = 0.5 }\n"
        "  }\n"
        "}\n"
        "locals {\n"
        "  policy = <<EOF\n"
        '{"Version": "2012-10-17"}\n'
        "EOF  \n"
        "}\n"
        'resource "aws_rds_cluster" "db" {\n'
        "  serverlessv2_scaling_configuration {\n"
        "    min_capacity = var.cluster.scaling.min_capacity\n"
        "  }\n"
        "}\n"
    )
    (document,) = read_module({"main.tf": text})
    assert document.error == ""
    (cluster,) = stack_facts([document]).clusters
    assert cluster.min_capacity is not None and cluster.min_capacity.data == 0.5
    assert cluster.min_capacity.span.line == 13
    assert cluster.min_capacity.origin == "var.cluster.scaling.min_capacity, main.tf line 3"


SECRET_READING_FUNCTION = """\
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: api/
      Handler: app.handler
      VpcConfig:
        SubnetIds: {subnets}
{extra}"""
SECRET_CODE = "import boto3\n\nsm = boto3.client('secretsmanager')\nvalue = sm.get_secret_value(SecretId='db')\n"


def _pin307(tmp_path: Path, subnets: str = "[subnet-1]", extra: str = "", code: str = SECRET_CODE) -> list[str]:
    _write(tmp_path, {"template.yaml": SECRET_READING_FUNCTION.format(subnets=subnets, extra=extra)})
    _write(tmp_path, {"api/app.py": "from api.secrets import load\n", "api/secrets.py": code})
    result = run_cli(
        "check", "--no-cache", "--output-format", "json-lines", "--quiet", "--select", "PIN307", ".", cwd=tmp_path
    )
    found = [json.loads(line) for line in result.stdout.splitlines()]
    where = "{0[filename]}:{0[location][row]}:{0[location][column]}:"
    return [f"{where.format(f)} {f['code']} {f['message']}. {f['consequence']}" for f in found]


def test_vpc_function_reading_secrets_is_reported_at_its_vpc_config_with_where_the_code_reads(tmp_path: Path) -> None:
    (line,) = _pin307(tmp_path)
    assert line.startswith("template.yaml:7:7: PIN307 Lambda `Api` in a VPC calls `get_secret_value()`")
    assert "(api/secrets.py line 4)" in line and "without a NAT gateway the call hangs" in line


def test_a_nat_gateway_changes_the_message_and_an_endpoint_silences_it(tmp_path: Path) -> None:
    nat = "  Nat:\n    Type: AWS::EC2::NatGateway\n    Properties:\n      SubnetId: subnet-public\n"
    (line,) = _pin307(tmp_path, extra=nat)
    assert "the call goes through the stack's NAT gateway, billed per hour and per GB" in line
    endpoint = (
        "  Endpoint:\n    Type: AWS::EC2::VPCEndpoint\n    Properties:\n"
        "      ServiceName: !Sub com.amazonaws.${AWS::Region}.secretsmanager\n"
    )
    assert _pin307(tmp_path, extra=endpoint) == []
    unknown = "  Endpoint:\n    Type: AWS::EC2::VPCEndpoint\n    Properties:\n      ServiceName: !Join ['', [a, b]]\n"
    assert _pin307(tmp_path, extra=unknown) == []  # a service pinlint cannot read may be Secrets Manager


def test_no_vpc_or_no_secret_read_is_not_reported(tmp_path: Path) -> None:
    assert _pin307(tmp_path, subnets="[]") == []
    assert _pin307(tmp_path, code="import boto3\nboto3.client('s3').list_buckets()\n") == []


def test_add_noqa_never_writes_comments_into_a_json_template(tmp_path: Path) -> None:
    template = (
        '{"Resources": {"G": {"Type": "AWS::RDS::DBProxyTargetGroup",\n'
        '  "Properties": {"ConnectionPoolConfigurationInfo": {"ConnectionBorrowTimeout": 0}}}}}\n'
    )
    _write(tmp_path, {"template.json": template, "template.yaml": PROXIED_CLUSTER_YAML.format(minimum=0)})
    result = run_cli("check", "--no-cache", "--add-noqa", ".", cwd=tmp_path)
    assert (tmp_path / "template.json").read_text(encoding="utf-8") == template
    assert "template.json: adding noqa comments would not silence the findings cleanly" in result.stderr
    assert "MinCapacity: 0  # noqa: PIN301" in (tmp_path / "template.yaml").read_text(encoding="utf-8")


def test_hcl_columns_count_characters_not_bytes() -> None:
    hcl = (
        'resource "aws_db_proxy_default_target_group" "g" {\n'
        "  connection_pool_config {\n"
        "    /* réglé */ connection_borrow_timeout = 0\n"
        "  }\n"
        "}\n"
    )
    (pool,) = stack_facts(read_module({"main.tf": hcl})).pools
    timeout = pool.settings["borrow_timeout"]
    assert timeout is not None and (timeout.span.line, timeout.span.column, timeout.span.end_column) == (3, 17, 46)
    (document,) = read_module({"main.tf": 'locals {\n  é = "x"\n  a = "é" + \n}\n'})
    assert document.error.startswith("cannot read as Terraform: ")


def test_a_cdk_noqa_that_silences_a_finding_is_not_reported_unused() -> None:
    codes = [finding.code for finding in lint(CDK_APP, "infra/app.py", all_rules=True)]
    assert "PIN305" not in codes and "PIN100" not in codes
    assert "PIN305" in [finding.code for finding in lint(CDK_APP.replace("  # noqa: PIN305", ""), "infra/app.py")]


def test_min_capacity_zero_versions_without_auto_pause() -> None:
    def pin308(engine: str, version: str) -> list[str]:
        hcl = (
            f'resource "aws_rds_cluster" "c" {{\n  engine = "{engine}"\n  engine_version = "{version}"\n'
            "  serverlessv2_scaling_configuration {\n    min_capacity = 0\n  }\n}\n"
        )
        return [finding.code for finding in lint(hcl, "main.tf") if finding.code == "PIN308"]

    assert pin308("aurora-postgresql", "12.22") == ["PIN308"]  # below every auto-pause line
    assert pin308("aurora-postgresql", "13.14") == ["PIN308"]
    assert pin308("aurora-postgresql", "13.15") == []
    assert pin308("aurora-postgresql", "17.1") == []  # a major line newer than the table
    assert pin308("aurora-postgresql", "16") == []  # a major alone: which minor deploys is unknown
    assert pin308("aurora-mysql", "8.0.mysql_aurora.3.07.1") == ["PIN308"]
    assert pin308("aurora-mysql", "8.0.mysql_aurora.3.10.0") == []


def test_the_catalog_rejects_an_unknown_infrastructure_check_or_setting(tmp_path: Path) -> None:
    import pytest

    from pinlint.catalog import CatalogError, load_rule

    source = (ROOT / "rules" / "PIN304-proxy-pinning-filters-on-postgres.toml").read_text(encoding="utf-8")
    for old, new, error in (
        ('check = "session-pinning-filters"', 'check = "no-such-check"', r"key 'check' in \[match\] has unknown value"),
        ('engine-families = ["POSTGRESQL"]', 'engine-familys = ["POSTGRESQL"]', "unknown key 'engine-familys'"),
        ('engine-families = ["POSTGRESQL"]', 'engine-families = "POSTGRESQL"', "must be a list of strings"),
        (
            'engine-families = ["POSTGRESQL"]',
            'engine-families = ["POSTGRESQL"]\nregex = "x"',
            "`regex` is not a setting of check session-pinning-filters",
        ),
    ):
        path = tmp_path / "PIN304-proxy-pinning-filters-on-postgres.toml"
        path.write_text(source.replace(old, new), encoding="utf-8")
        with pytest.raises(CatalogError, match=error):
            load_rule(path)


def test_a_serverless_function_is_linked_to_a_proxy_through_the_provider_environment() -> None:
    def pin311(borrow: int) -> list[tuple[int, int]]:
        text = (
            "service: s\nprovider:\n  name: aws\n  environment:\n    DB_HOST: !GetAtt Proxy.Endpoint\n"
            "functions:\n  api:\n    handler: app.handler\n"
            "resources:\n  Resources:\n    Proxy:\n      Type: AWS::RDS::DBProxy\n      Properties:\n"
            "        EngineFamily: POSTGRESQL\n    Targets:\n      Type: AWS::RDS::DBProxyTargetGroup\n"
            "      Properties:\n        DBProxyName: !Ref Proxy\n        ConnectionPoolConfigurationInfo:\n"
            f"          ConnectionBorrowTimeout: {borrow}\n"
        )
        return [(f.line, f.column) for f in lint(text, "serverless.yml") if f.code == "PIN311"]

    assert pin311(6) == [(20, 11)]  # the Serverless Framework's default timeout is 6 s
    assert pin311(5) == []


def test_a_large_json_file_in_the_tree_is_data_not_a_template(tmp_path: Path) -> None:
    """A JSON report of several MB beside the code is passed over without a word (CloudFormation
    takes templates of at most 1 MB); a template in the same tree is still read."""
    from conftest import run_cli

    (tmp_path / "out.json").write_text('{"Resources": {"AWS::": ' + "0" * (6 * 1024 * 1024) + "}}", encoding="utf-8")
    (tmp_path / "app.py").write_text('cur.execute("LISTEN x")\n', encoding="utf-8")
    result = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert result.stderr == ""
    assert result.returncode == 1


def test_a_template_under_a_gitignored_directory_is_not_read(tmp_path: Path, monkeypatch: Any) -> None:
    """The infrastructure files come from discovery's walk, which honours .gitignore as it does
    for Python: a template in an ignored directory is not opened, one beside it is linted."""
    import pinlint.infra.files

    bad = PROXIED_CLUSTER_YAML.format(minimum=0)
    _write(tmp_path, {"generated/template.yaml": bad, "stack/template.yaml": bad, ".gitignore": "generated/\n"})
    read: list[str] = []
    reader = pinlint.infra.files.files.read_text

    def spy(path: str, limit: int) -> str:
        read.append(Path(path).as_posix())
        return reader(path, limit)

    monkeypatch.setattr(pinlint.infra.files.files, "read_text", spy)
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()] == [["stack/template.yaml:6:9:", "PIN301"]]
    assert "generated/template.yaml" not in read and "stack/template.yaml" in read
    (tmp_path / "pinlint.toml").write_text("respect-gitignore = false\n", encoding="utf-8")
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    assert "generated/template.yaml:6:9: PIN301" in result.stdout


def test_a_run_lists_each_directory_once_for_python_sql_and_infrastructure(tmp_path: Path, monkeypatch: Any) -> None:
    """One walk finds the Python, the SQL and the templates: discovery lists each directory of the
    tree once, and os.walk (the infrastructure's old second walk) is never called. (The handler
    declarations' bounded search for Terraform, pinlint.declarations, is not counted here.)"""
    import os
    import sys

    import pinlint.discover

    bad = PROXIED_CLUSTER_YAML.format(minimum=0)
    _write(
        tmp_path, {"app/db.py": 'cur.execute("LISTEN x")\n', "app/q.sql": "LISTEN y;\n", "deploy/template.yaml": bad}
    )
    listed: list[str] = []
    walked: list[str] = []
    scandir, walk = os.scandir, os.walk

    def counting_scandir(path: Any = ".") -> Any:
        if sys._getframe(1).f_globals["__name__"] == "pinlint.discover":
            listed.append(Path(path).resolve().relative_to(tmp_path.resolve()).as_posix())
        return scandir(path)

    def counting_walk(top: Any, *args: Any, **kwargs: Any) -> Any:
        walked.append(os.path.abspath(top))
        return walk(top, *args, **kwargs)

    monkeypatch.setattr(pinlint.discover.os, "scandir", counting_scandir)
    monkeypatch.setattr(os, "walk", counting_walk)
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    codes = sorted(line.split(" ")[0] + " " + line.split(" ")[1] for line in result.stdout.splitlines())
    assert any(code.startswith("app/db.py:") for code in codes)
    assert any(code.startswith("app/q.sql:") for code in codes)
    assert "deploy/template.yaml:6:9: PIN301" in codes
    assert sorted(listed) == [".", "app", "deploy"]
    assert walked == []


def test_a_template_below_a_nested_configuration_follows_that_configuration(tmp_path: Path) -> None:
    """A template found in the walk is grouped as a Python file there is: the nearest configuration's
    selection and excludes decide for it, as they do when it is named on the command line."""
    bad = PROXIED_CLUSTER_YAML.format(minimum=0)
    _write(tmp_path, {"svc/template.yaml": bad, "svc/legacy/template.yaml": bad, "other/template.yaml": bad})
    (tmp_path / "pinlint.toml").write_text("", encoding="utf-8")
    (tmp_path / "svc" / "pinlint.toml").write_text(
        'ignore = ["PIN301"]\nextend-exclude = ["legacy"]\n', encoding="utf-8"
    )
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()] == [["other/template.yaml:6:9:", "PIN301"]]
    named = run_cli("check", "--no-cache", "--quiet", "svc/template.yaml", cwd=tmp_path)
    assert named.stdout == ""


def test_a_terraform_function_whose_pool_outlives_the_proxy_idle_timeout(tmp_path: Path) -> None:
    terraform = """\
data "archive_file" "api" {
  type        = "zip"
  source_dir  = "${path.module}/../src"
  output_path = "${path.module}/api.zip"
}
resource "aws_db_proxy" "orders" {
  name                = "orders"
  engine_family       = "POSTGRESQL"
  idle_client_timeout = 600
}
resource "aws_lambda_function" "api" {
  handler  = "app.handler"
  filename = data.archive_file.api.output_path
  environment {
    variables = {
      DB_HOST = aws_db_proxy.orders.endpoint
    }
  }
}
"""
    code = "import psycopg_pool\n\npool = psycopg_pool.ConnectionPool(conninfo, max_idle=900)\n"
    _write(tmp_path, {"infra/main.tf": terraform, "src/app.py": code})
    result = run_cli("check", "--no-cache", "--output-format", "json", "--select", "PIN315", ".", cwd=tmp_path)
    (found,) = json.loads(result.stdout)
    assert (found["filename"], found["location"]["row"], found["location"]["column"]) == ("infra/main.tf", 9, 3)
    assert found["message"] == (
        "`psycopg_pool.ConnectionPool()` keeps idle connections longer (max_idle=900) than RDS Proxy"
        " `aws_db_proxy.orders` allows (600 s)"
    )
    assert found["consequence"] == (
        "The proxy closes a client connection after 600 s idle (main.tf line 9), but the code of Lambda"
        " `aws_lambda_function.api` keeps them longer (src/app.py line 3): the pool hands out a connection the"
        " proxy has already closed, and the next query on it fails"
    )
    _write(tmp_path, {"src/app.py": code.replace("900", "300")})
    quiet = run_cli("check", "--no-cache", "--output-format", "concise", "--select", "PIN315", ".", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stdout


def test_a_module_call_passes_its_inputs_into_the_called_module(tmp_path: Path) -> None:
    module = """\
variable "min_capacity" {
  default = 1
}
resource "aws_rds_cluster" "this" {
  serverlessv2_scaling_configuration {
    min_capacity = var.min_capacity
  }
}
resource "aws_db_proxy_target" "this" {
  db_proxy_name         = "db"
  target_group_name     = "default"
  db_cluster_identifier = aws_rds_cluster.this.id
}
"""
    calls = """\
module "zero" {
  source       = "./modules/db"
  min_capacity = 0
}
module "half" {
  source       = "./modules/db"
  min_capacity = 0.5
}
"""
    _write(tmp_path, {"main.tf": calls, "modules/db/main.tf": module})
    result = run_cli("check", "--no-cache", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "modules/db/main.tf:6:5: PIN301 Serverless v2 cluster `aws_rds_cluster.this` has minimum capacity 0"
        " (from var.min_capacity, the input of module.zero, main.tf line 3) but is a target of RDS Proxy `db`"
    ]
    _write(tmp_path, {"main.tf": calls.replace("min_capacity = 0\n", "min_capacity = 2\n")})
    quiet = run_cli("check", "--no-cache", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stdout


def test_proxies_of_several_stacks_on_one_cluster_add_up(tmp_path: Path) -> None:
    template = """\
Resources:
  Orders:
    Type: AWS::RDS::DBCluster
    Properties:
      DBClusterIdentifier: orders-db
  ApiProxyTargets:
    Type: AWS::RDS::DBProxyTargetGroup
    Properties:
      DBProxyName: api-proxy
      DBClusterIdentifiers: [!Ref Orders]
      ConnectionPoolConfigurationInfo:
        MaxConnectionsPercent: 70
"""
    terraform = """\
resource "aws_db_proxy_default_target_group" "reports" {
  db_proxy_name = "reports-proxy"
  connection_pool_config {
    max_connections_percent = 50
  }
}
resource "aws_db_proxy_target" "reports" {
  db_proxy_name         = "reports-proxy"
  target_group_name     = "default"
  db_cluster_identifier = "orders-db"
}
"""
    _write(tmp_path, {"api/template.yaml": template, "reports/main.tf": terraform})
    result = run_cli("check", "--no-cache", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "reports/main.tf:4:5: PIN309 RDS Proxies on cluster `orders-db` may open 120% of its `max_connections` together"
    ]
    _write(tmp_path, {"reports/main.tf": terraform.replace("= 50", "= 30")})
    assert run_cli("check", "--no-cache", "-q", ".", cwd=tmp_path).returncode == 0


AURORA_MEMBERS_YAML = """\
Resources:
  Orders:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-postgresql
  Writer:
    Type: AWS::RDS::DBInstance
    Properties:
      DBClusterIdentifier: !Ref Orders
      DBInstanceClass: {writer}
  Reader:
    Type: AWS::RDS::DBInstance
    Properties:
      DBClusterIdentifier: !Ref Orders
      DBInstanceClass: db.t3.medium
  Api:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      ReservedConcurrentExecutions: {reserved}
      Code:
        ZipFile: import psycopg2
      Environment:
        Variables:
          DB_HOST: !GetAtt Orders.Endpoint.Address
"""


def test_a_provisioned_aurora_cluster_is_judged_by_its_largest_known_instance_class() -> None:
    """PIN314 on a provisioned Aurora PostgreSQL cluster: the default of its largest instance class
    (the writer may be any), named in the message; a class pinlint's table lacks keeps it quiet."""

    def pin314(writer: str, reserved: int) -> list[str]:
        source = AURORA_MEMBERS_YAML.format(writer=writer, reserved=reserved)
        return [f"{f.message} {f.consequence}" for f in lint(source, "template.yaml") if f.code == "PIN314"]

    found = pin314("db.r6g.large", 2000)  # 16 GiB: about 1,802; the t3.medium reader about 450
    assert len(found) == 1 and "about 1,802" in found[0] and "db.r6g.large's 16 GiB" in found[0]
    assert pin314("db.r6g.large", 1500) == []  # below the writer's figure, though above the reader's
    assert pin314("db.x2iedn.large", 2000) == []  # a class the rule's table does not list
    assert pin314("!Ref InstanceClass", 2000) == []  # a class given by a parameter


def test_the_catalog_rejects_a_connections_table_that_is_not_numbers(tmp_path: Path) -> None:
    import pytest

    from pinlint.catalog import CatalogError, load_rule

    name = "PIN314-concurrency-exceeds-max-connections.toml"
    source = (ROOT / "rules" / name).read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(source.replace('"db.t3.micro" = 1\n', '"db.t3.micro" = "1 GiB"\n'), encoding="utf-8")
    with pytest.raises(CatalogError, match="instance-memory-gib"):
        load_rule(path)


def test_cdk_instance_types_are_read_in_each_form_cdk_accepts() -> None:
    """PIN314 on a CDK rds.DatabaseInstance: `InstanceType("t3.micro")`, its keyword form, and
    `InstanceType.of(...)` (XLARGE2 is 2xlarge) name the class; a variable keeps it quiet."""

    def pin314(instance_type: str) -> list[tuple[int, int]]:
        source = (
            "from aws_cdk import aws_ec2 as ec2\nfrom aws_cdk import aws_lambda as lambda_\n"
            "from aws_cdk import aws_rds as rds\n\n"
            "db = rds.DatabaseInstance(stack, 'Db', engine=rds.DatabaseInstanceEngine.postgres(version=v),"
            f" instance_type={instance_type}, vpc=vpc)\n"
            "lambda_.Function(stack, 'Api', handler='app.handler', code=lambda_.Code.from_inline('import psycopg2'),"
            " reserved_concurrent_executions=4000, environment={'DB_HOST': db.instance_endpoint.hostname})\n"
        )
        column = source.splitlines()[5].index("reserved_concurrent_executions") + 1
        return [(f.line, f.column - column) for f in lint(source, "infra/app.py") if f.code == "PIN314"]

    assert pin314('ec2.InstanceType("t3.micro")') == [(6, 0)]  # about 112
    assert pin314('ec2.InstanceType(instance_type_identifier="t3.micro")') == [(6, 0)]
    assert pin314("ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE)") == [(6, 0)]  # about 3,605
    assert pin314("ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE2)") == []  # 5,000
    assert pin314("instance_type") == []


def test_cdk_cluster_instances_give_a_provisioned_aurora_cluster_its_class() -> None:
    """A CDK Aurora cluster's `writer=rds.ClusterInstance.provisioned(instance_type=...)` (or the older
    `instance_props`) is judged by that class; a `serverless_v2` writer by the maximum capacity."""

    def pin314(instances: str, reserved: int) -> list[str]:
        source = (
            "from aws_cdk import aws_ec2 as ec2\nfrom aws_cdk import aws_lambda as lambda_\n"
            "from aws_cdk import aws_rds as rds\n\n"
            "db = rds.DatabaseCluster(stack, 'Db', engine=rds.DatabaseClusterEngine.aurora_mysql(version=v),"
            f" {instances}, vpc=vpc)\n"
            "lambda_.Function(stack, 'Api', handler='app.handler', code=lambda_.Code.from_inline('import pymysql'),"
            f" reserved_concurrent_executions={reserved}, environment={{'DB_HOST': db.cluster_endpoint.hostname}})\n"
        )
        return [f"{f.message} {f.consequence}" for f in lint(source, "infra/app.py") if f.code == "PIN314"]

    large = "instance_type=ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE)"
    found = pin314(f"writer=rds.ClusterInstance.provisioned('w', {large})", 1200)
    assert len(found) == 1 and "1,000 (AWS's default for Aurora MySQL on db.r6g.large)" in found[0]
    assert pin314(f"writer=rds.ClusterInstance.provisioned('w', {large})", 900) == []
    assert len(pin314(f"instance_props=rds.InstanceProps({large}, vpc=vpc)", 1200)) == 1
    serverless = "writer=rds.ClusterInstance.serverless_v2('w'), serverless_v2_max_capacity=4"
    assert "135" in pin314(serverless, 200)[0]
    assert pin314(f"writer=rds.ClusterInstance.provisioned('w', {large}), readers=[reader]", 1200) == []
