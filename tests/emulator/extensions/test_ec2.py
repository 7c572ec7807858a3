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


DEFAULT_REGIONS = {
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
}


def test_regions_are_the_accounts_enabled_ones_of_its_partition(mocked_aws):
    ec2 = mocked_aws("ec2")

    def regions(**arguments) -> dict[str, str]:
        answered = ec2.describe_regions(**arguments)["Regions"]
        return {r["RegionName"]: r["OptInStatus"] for r in answered}

    enabled = regions()
    assert set(enabled) == DEFAULT_REGIONS
    assert set(enabled.values()) == {"opt-in-not-required"}
    every = regions(AllRegions=True)
    assert every["af-south-1"] == every["eu-south-1"] == "not-opted-in"
    assert not [r for r in every if r.startswith(("cn-", "us-gov-"))]
    assert regions(RegionNames=["af-south-1"]) == {"af-south-1": "not-opted-in"}
    assert (
        set(
            regions(
                AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}]
            )
        )
        == set(every) - DEFAULT_REGIONS
    )

    mocked_aws("account").enable_region(RegionName="af-south-1")
    assert regions()["af-south-1"] == "opted-in"
    assert set(regions()) == DEFAULT_REGIONS | {"af-south-1"}


def test_primary_network_interface_is_never_detached(mocked_aws):
    ec2 = mocked_aws("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    [primary] = instance["NetworkInterfaces"]
    second = ec2.create_network_interface(SubnetId=instance["SubnetId"])["NetworkInterface"]
    attachment = ec2.attach_network_interface(
        NetworkInterfaceId=second["NetworkInterfaceId"],
        InstanceId=instance["InstanceId"],
        DeviceIndex=1,
    )["AttachmentId"]
    with pytest.raises(ec2.exceptions.ClientError, match="OperationNotPermitted"):
        ec2.detach_network_interface(AttachmentId=primary["Attachment"]["AttachmentId"], Force=True)
    ec2.detach_network_interface(AttachmentId=attachment, Force=True)
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    [described] = ec2.describe_instances()["Reservations"][0]["Instances"]
    assert described["State"]["Name"] == "terminated"
