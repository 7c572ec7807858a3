"""IAM Access Analyzer (scripts/emulator/extensions/access_analyzer.py)."""

from __future__ import annotations

import pytest


def test_access_analyzer_lifecycle(mocked_aws):
    analyzer = mocked_aws("accessanalyzer")
    arn = analyzer.create_analyzer(
        analyzerName="org", type="ORGANIZATION", tags={"managed-by": "x"}
    )["arn"]
    found = analyzer.get_analyzer(analyzerName="org")["analyzer"]
    assert (found["arn"], found["type"], found["status"]) == (arn, "ORGANIZATION", "ACTIVE")
    analyzer.tag_resource(resourceArn=arn, tags={"workspace": "management"})
    analyzer.untag_resource(resourceArn=arn, tagKeys=["managed-by"])
    assert analyzer.list_tags_for_resource(resourceArn=arn)["tags"] == {"workspace": "management"}
    analyzer.delete_analyzer(analyzerName="org")
    with pytest.raises(analyzer.exceptions.ResourceNotFoundException):
        analyzer.get_analyzer(analyzerName="org")


def test_access_analyzer_lists_the_analyzers_of_its_region_by_type(mocked_aws):
    east, west = mocked_aws("accessanalyzer"), mocked_aws("accessanalyzer", "us-west-2")
    east.create_analyzer(analyzerName="org", type="ORGANIZATION")
    east.create_analyzer(analyzerName="mine", type="ACCOUNT")
    west.create_analyzer(analyzerName="other", type="ORGANIZATION")
    assert sorted(a["name"] for a in east.list_analyzers()["analyzers"]) == ["mine", "org"]
    [organization] = east.list_analyzers(type="ORGANIZATION")["analyzers"]
    assert organization["arn"].startswith("arn:aws:access-analyzer:us-east-1:")


def test_analyzer_names_are_unique_per_region(mocked_aws):
    """An analyzer is a regional resource named in its region: CreateAnalyzer answers
    ConflictException for a name the region has
    (https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CreateAnalyzer.html);
    another region may have the same name."""
    east, west = mocked_aws("accessanalyzer"), mocked_aws("accessanalyzer", "us-west-2")
    east.create_analyzer(analyzerName="org", type="ORGANIZATION")
    with pytest.raises(east.exceptions.ConflictException):
        east.create_analyzer(analyzerName="org", type="ACCOUNT")
    west.create_analyzer(analyzerName="org", type="ORGANIZATION")
    assert [a["arn"].split(":")[3] for a in west.list_analyzers()["analyzers"]] == ["us-west-2"]
