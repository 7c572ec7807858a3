"""EC2 as on AWS (scripts/emulator/extensions/ec2.py)."""

from __future__ import annotations

import pytest


def test_describe_snapshots_by_owner(mocked_aws):
    ec2 = mocked_aws("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    own = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]

    def listed(**owners) -> set[str]:
        return {s["SnapshotId"] for s in ec2.describe_snapshots(**owners)["Snapshots"]}

    assert listed(OwnerIds=["self"]) == listed(OwnerIds=["123456789012"]) == {own}
    amazons = listed(OwnerIds=["amazon"])
    assert amazons and own not in amazons  # the snapshots behind moto's public AMIs
    assert listed() == amazons | {own}


def test_main_route_table_is_kept(mocked_aws):
    ec2 = mocked_aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    main = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"][0]["RouteTableId"]
    other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(ec2.exceptions.ClientError, match="DependencyViolation"):
        ec2.delete_route_table(RouteTableId=main)
    ec2.delete_route_table(RouteTableId=other)
    ec2.delete_vpc(VpcId=vpc)  # the main route table goes with its VPC
    assert ec2.describe_route_tables(Filters=in_vpc)["RouteTables"] == []


@pytest.mark.parametrize(
    ("region", "domain"),
    [("us-east-1", "ec2.internal"), ("us-west-2", "us-west-2.compute.internal")],
)
def test_default_vpc_as_on_aws(mocked_aws, region, domain):
    ec2 = mocked_aws("ec2", region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    options = ec2.describe_dhcp_options(DhcpOptionsIds=[vpc["DhcpOptionsId"]])["DhcpOptions"][0]
    assert {c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]} == {
        "domain-name-servers": ["AmazonProvidedDNS"],
        "domain-name": [domain],
    }
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}]
    )["InternetGateways"]
    assert len(gateways) == 1
    main = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )
    routes = main["RouteTables"][0]["Routes"]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateways[0]["InternetGatewayId"]} in [
        {k: r[k] for k in ("DestinationCidrBlock", "GatewayId")} for r in routes
    ]


def test_primary_network_interface_goes_with_instance(mocked_aws):
    ec2 = mocked_aws("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    [interface] = instance["NetworkInterfaces"]
    assert interface["Attachment"]["DeleteOnTermination"] is True
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    remaining = ec2.describe_network_interfaces(
        Filters=[{"Name": "network-interface-id", "Values": [interface["NetworkInterfaceId"]]}]
    )
    assert remaining["NetworkInterfaces"] == []
