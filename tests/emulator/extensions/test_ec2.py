"""EC2 as on AWS (scripts/emulator/extensions/ec2.py)."""

from __future__ import annotations

import json

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


# --- account-level settings and the EC2 declarative policy ---------------------------------------

AMI = "ami-12c6146b"  # one of moto's public AMIs


def public_snapshot_share(ec2, snapshot: str) -> None:
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )


def test_account_settings_are_kept_per_account_and_act(mocked_aws):
    """EC2 API reference: Get/Enable/DisableSnapshotBlockPublicAccess, Get/Enable/Disable
    ImageBlockPublicAccess, Get/ModifyInstanceMetadataDefaults, Get/Enable/Disable
    SerialConsoleAccess; block public access refuses public sharing (EBS User Guide, "Block
    public access for snapshots"); IMDS defaults apply to launches that set nothing themselves."""
    ec2 = mocked_aws("ec2")
    assert ec2.get_snapshot_block_public_access_state()["State"] == "unblocked"
    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
    assert ec2.get_instance_metadata_defaults()["AccountLevel"]["HttpTokens"] == "no-preference"

    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.enable_snapshot_block_public_access(State="block-all-sharing")
    with pytest.raises(ec2.exceptions.ClientError, match="OperationNotPermitted"):
        public_snapshot_share(ec2, snapshot)
    assert ec2.disable_snapshot_block_public_access()["State"] == "unblocked"
    public_snapshot_share(ec2, snapshot)

    ec2.modify_instance_metadata_defaults(HttpTokens="required", HttpPutResponseHopLimit=2)
    [instance] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"]
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    assert ec2.enable_serial_console_access()["SerialConsoleAccessEnabled"] is True
    assert (
        mocked_aws("ec2", "us-west-2").get_serial_console_access_status()[
            "SerialConsoleAccessEnabled"
        ]
        is False
    ), "a setting of one region"


def test_a_declarative_policy_sets_them_and_the_account_cannot_change_them(
    mocked_aws, organization_with_member
):
    """Organizations User Guide, "Declarative policy syntax and examples": the attributes and
    their values; "Account administrators will not be able to modify the value of the service
    attribute"; the custom exception message; instance metadata defaults are defaults only."""
    from foundation import management_policies

    member, session = organization_with_member
    organizations = mocked_aws("organizations")
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.enable_policy_type(RootId=root, PolicyType="DECLARATIVE_POLICY_EC2")
    policy = organizations.create_policy(
        Name="ec2",
        Type="DECLARATIVE_POLICY_EC2",
        Description="ec2",
        Content=json.dumps(management_policies.ec2_declarative_policy()),
    )["Policy"]["PolicySummary"]
    assert ":policy/" in policy["Arn"] and "/declarative_policy_ec2/" in policy["Arn"]
    organizations.attach_policy(PolicyId=policy["Id"], TargetId=root)

    ec2 = session.client("ec2", region_name="eu-west-1")
    assert ec2.get_snapshot_block_public_access_state() | {"ResponseMetadata": None} == {
        "State": "block-all-sharing",
        "ManagedBy": "declarative-policy",
        "ResponseMetadata": None,
    }
    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == (
        "block-new-sharing"
    )
    assert ec2.get_serial_console_access_status()["ManagedBy"] == "declarative-policy"
    defaults = ec2.get_instance_metadata_defaults()["AccountLevel"]
    assert (defaults["HttpTokens"], defaults["HttpPutResponseHopLimit"]) == ("required", 2)
    assert defaults["ManagedExceptionMessage"] == management_policies.EC2_EXCEPTION_MESSAGE
    for change in (
        ec2.disable_snapshot_block_public_access,
        ec2.disable_image_block_public_access,
        ec2.enable_serial_console_access,
        lambda: ec2.modify_instance_metadata_defaults(HttpTokens="optional"),
    ):
        with pytest.raises(ec2.exceptions.ClientError, match="declarative policy"):
            change()
    [instance] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"]
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    [chosen] = ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, MetadataOptions={"HttpTokens": "optional"}
    )["Instances"]
    assert chosen["MetadataOptions"]["HttpTokens"] == "optional", "defaults, not enforcement"
    own = mocked_aws("ec2").get_serial_console_access_status()["ManagedBy"]
    assert own == "declarative-policy", "the management account inherits the root's policy too"
