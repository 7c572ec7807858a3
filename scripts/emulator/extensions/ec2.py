"""EC2: snapshots by owner, default VPCs, route tables, network interfaces and Regions as on AWS,
and the account-level settings an EC2 declarative policy manages."""

from __future__ import annotations

from scripts.emulator.extensions.registry import extension, wrap


@extension
def describe_snapshots_by_owner() -> None:
    """EC2 DescribeSnapshots with OwnerIds answers only those owners' snapshots: account ids,
    `self` (the caller's account) and `amazon`, as AWS does. moto ignored OwnerIds and answered
    every snapshot it holds, the ~1300 behind its public AMIs among them, so `OwnerIds=self`
    (aws-nuke's EC2Snapshot listing) took Amazon's snapshots for the account's own."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def describe_snapshots(response) -> ActionResult:
        backend = response.ec2_backend
        snapshots = backend.describe_snapshots(
            snapshot_ids=response._get_param("SnapshotIds", []),
            filters=response._filters_from_querystring(),
        )
        owners = {
            response.current_account if owner == "self" else owner
            for owner in response._get_param("OwnerIds", [])
        }
        if owners:
            snapshots = [
                s for s in snapshots if s.owner_id in owners or _owner_alias(backend, s) in owners
            ]
        return ActionResult({"Snapshots": snapshots})

    ElasticBlockStore.describe_snapshots = describe_snapshots


def _owner_alias(backend, snapshot) -> str | None:
    """A snapshot's owner alias is that of the AMI it backs (`amazon` for moto's public AMIs)."""
    ami = backend.amis.get(snapshot.from_ami) if snapshot.from_ami else None
    return ami.owner_alias if ami else None


@extension
def main_route_table_kept() -> None:
    """EC2 DeleteRouteTable refuses a VPC's main route table (DependencyViolation), as AWS does:
    it goes only with its VPC. moto deleted it, so an account sweep that keeps the default VPC
    looked clean on the emulator and fails on AWS."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.responses.route_tables import RouteTables

    def unless_main(delete_route_table):
        def delete_unless_main(response):
            route_table_id = response._get_param("RouteTableId")
            if response.ec2_backend.get_route_table(route_table_id).main_association_id:
                raise DependencyViolationError(
                    f"The routeTable '{route_table_id}' has dependencies and cannot be deleted."
                )
            return delete_route_table(response)

        return delete_unless_main

    wrap(RouteTables, "delete_route_table", unless_main)


@extension
def default_vpc_as_on_aws() -> None:
    """A region's default VPC comes with what AWS gives it: an attached internet gateway, the
    0.0.0.0/0 route to it in the main route table, and a DHCP options set (AmazonProvidedDNS,
    ec2.internal in us-east-1, <region>.compute.internal elsewhere). moto's had neither, so a
    sweep that must keep the default VPC's parts could not be tried here."""
    from moto.ec2.models.vpcs import VPCBackend

    def as_on_aws(create_default_vpc):
        def create_default_vpc_as_on_aws(backend):
            vpc = create_default_vpc(backend)
            gateway = backend.create_internet_gateway()
            backend.attach_internet_gateway(gateway.id, vpc.id)
            main = backend.describe_route_tables(
                filters={"vpc-id": vpc.id, "association.main": "true"}
            )
            backend.create_route(main[0].id, "0.0.0.0/0", gateway_id=gateway.id)
            region = backend.region_name
            domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
            options = backend.create_dhcp_options(
                domain_name_servers=["AmazonProvidedDNS"], domain_name=[domain]
            )
            backend.associate_dhcp_options(options, vpc)
            return vpc

        return create_default_vpc_as_on_aws

    wrap(VPCBackend, "create_default_vpc", as_on_aws)


@extension
def primary_network_interface_goes_with_instance() -> None:
    """EC2 RunInstances without NetworkInterfaces makes the primary network interface with
    DeleteOnTermination true, as AWS does, so it goes when the instance terminates. moto kept
    it attached to the terminated instance, where it can be neither detached nor deleted:
    aws-nuke ended "failed" on it."""
    from moto.ec2.models.instances import Instance

    def deleted_on_termination(prep_nics):
        def prep_nics_deleted_on_termination(instance, nic_spec, *args, **kwargs):
            prep_nics(instance, nic_spec, *args, **kwargs)
            if not nic_spec and 0 in instance.nics:
                instance.nics[0].delete_on_termination = True

        return prep_nics_deleted_on_termination

    wrap(Instance, "prep_nics", deleted_on_termination)


@extension
def regions_as_on_aws() -> None:
    """EC2 DescribeRegions answers as AWS does: the Regions of the caller's partition only (an
    `aws` account never sees China or GovCloud), each with its OptInStatus, and without
    AllRegions only those enabled for the account (opt-in Regions once enabled, account.py);
    RegionNames and the region-name, opt-in-status and endpoint filters as documented
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html). moto
    listed every partition's Regions and called the opt-in ones enabled, so "every enabled
    Region" meant China, GovCloud and Regions no account has without opting in."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions

    from scripts.emulator.extensions.account import partition_regions, region_opt_status

    statuses = {
        "ENABLED_BY_DEFAULT": "opt-in-not-required",
        "ENABLED": "opted-in",
        "DISABLED": "not-opted-in",
    }

    def describe_regions(response) -> ActionResult:
        names = response._get_param("RegionNames", [])
        every = response._get_bool_param("AllRegions", False)
        filters = response._filters_from_querystring()
        suffix = "amazonaws.com.cn" if response.partition == "aws-cn" else "amazonaws.com"
        regions = []
        for name in partition_regions(response.partition):
            region = {
                "RegionName": name,
                "Endpoint": f"ec2.{name}.{suffix}",
                "OptInStatus": statuses[
                    region_opt_status(response.current_account, response.partition, name)
                ],
            }
            if names and name not in names:
                continue
            if not names and not every and region["OptInStatus"] == "not-opted-in":
                continue
            if all(
                region[key] in values
                for key, values in (
                    ("RegionName", filters.get("region-name")),
                    ("OptInStatus", filters.get("opt-in-status")),
                    ("Endpoint", filters.get("endpoint")),
                )
                if values
            ):
                regions.append(region)
        return ActionResult({"Regions": regions})

    AvailabilityZonesAndRegions.describe_regions = describe_regions


@extension
def primary_network_interface_stays_attached() -> None:
    """EC2 DetachNetworkInterface refuses an instance's primary network interface (device index
    0) with OperationNotPermitted, as AWS does: it goes only with its instance. moto refused only
    an instance's last interface, so with a second one attached it detached the primary, and
    every later answer describing that instance failed (HTTP 500, KeyError in moto): aws-nuke,
    which detaches each interface before deleting it, could then not terminate the instance."""
    from moto.ec2.exceptions import LastEniDetachError
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    def unless_primary(detach_network_interface):
        def detach_unless_primary(backend, attachment_id: str) -> None:
            for eni in list(backend.enis.values()):
                if eni.attachment_id == attachment_id and eni.device_index == 0:
                    raise LastEniDetachError()
            return detach_network_interface(backend, attachment_id)

        return detach_unless_primary

    wrap(NetworkInterfaceBackend, "detach_network_interface", unless_primary)


# --- account-level settings and the EC2 declarative policy -------------------------------------
# API value of each setting by default, and what a declarative policy's attribute and field set it
# from ("Declarative policy syntax and examples", Organizations User Guide).
_SETTINGS = {
    "image_block_public_access": ("image_block_public_access", "state", "unblocked"),
    "snapshot_block_public_access": ("snapshot_block_public_access", "state", "unblocked"),
    "serial_console_access": ("serial_console_access", "status", "disabled"),
    "http_tokens": ("instance_metadata_defaults", "http_tokens", "no-preference"),
    "http_put_response_hop_limit": (
        "instance_metadata_defaults",
        "http_put_response_hop_limit",
        "-1",
    ),
    "http_endpoint": ("instance_metadata_defaults", "http_endpoint", "no-preference"),
    "instance_metadata_tags": (
        "instance_metadata_defaults",
        "instance_metadata_tags",
        "no-preference",
    ),
}
BY_ACCOUNT, BY_POLICY = "account", "declarative-policy"


def account_settings(backend) -> tuple[dict[str, str], str, str]:
    """(every setting of the account in the backend's region, who manages them, the policy's
    exception message): the EC2 declarative policy in effect for the account where one is (its
    root-to-account levels merged, the lower one's @@assign winning), else what the account set.
    Policy values are written with underscores, the API's with hyphens."""
    from scripts.emulator.extensions.organizations import (
        DECLARATIVE_POLICY_EC2,
        organization_of,
        policies_in_effect,
    )

    own = backend.__dict__.setdefault(
        "account_settings", {name: default for name, (_, _, default) in _SETTINGS.items()}
    )
    found = organization_of(backend.account_id)
    levels = (
        policies_in_effect(found[0], backend.account_id, DECLARATIVE_POLICY_EC2) if found else None
    )
    declared: dict[str, dict] = {}
    message = ""
    for document in [document for level in levels or [] for document in level]:
        for attribute, fields in document.get("ec2_attributes", {}).items():
            if attribute == "exception_message":
                message = fields.get("@@assign", message)
                continue
            for name, operators in fields.items():
                if "@@assign" in operators:
                    declared.setdefault(attribute, {})[name] = str(operators["@@assign"])
    if not declared:
        return own, BY_ACCOUNT, ""
    effective = dict(own)
    for name, (attribute, field, _) in _SETTINGS.items():
        if field in declared.get(attribute, {}):
            effective[name] = declared[attribute][field].replace("_", "-")
    return effective, BY_POLICY, message


def _refuse_if_declared(response) -> None:
    """A change to a setting a declarative policy manages fails, with the policy's message
    ("Account administrators will not be able to modify the value of the service attribute",
    Organizations User Guide). AWS documents the refusal, not its code: OperationNotPermitted."""
    from moto.ec2.exceptions import OperationNotPermitted

    _, managed_by, message = account_settings(response.ec2_backend)
    if managed_by == BY_POLICY:
        raise OperationNotPermitted(message or "This setting is managed by a declarative policy.")


def _public_sharing_apis(name: str, key: str) -> dict:
    """Get<...>State, Enable<...> (the state in the request) and Disable<...> of image or
    snapshot block public access, by handler name."""
    from moto.core.responses import ActionResult

    def get(response) -> ActionResult:
        settings, managed_by, _ = account_settings(response.ec2_backend)
        return ActionResult({key: settings[name], "ManagedBy": managed_by})

    def setting(value_of):
        def change(response) -> ActionResult:
            _refuse_if_declared(response)
            value = value_of(response)
            account_settings(response.ec2_backend)[0][name] = value
            return ActionResult({key: value})

        return change

    kind = "image" if name.startswith("image") else "snapshot"
    return {
        f"get_{kind}_block_public_access_state": get,
        f"enable_{kind}_block_public_access": setting(lambda response: response._get_param(key)),
        f"disable_{kind}_block_public_access": setting(lambda response: "unblocked"),
    }


_METADATA_PARAMETERS = {
    "http_tokens": "HttpTokens",
    "http_put_response_hop_limit": "HttpPutResponseHopLimit",
    "http_endpoint": "HttpEndpoint",
    "instance_metadata_tags": "InstanceMetadataTags",
}


def metadata_defaults(settings: dict[str, str]) -> dict:
    """The instance metadata defaults as the API names them."""
    return {
        parameter: int(settings[name]) if name.endswith("limit") else settings[name]
        for name, parameter in _METADATA_PARAMETERS.items()
    }


def get_instance_metadata_defaults(response):
    from moto.core.responses import ActionResult

    settings, managed_by, message = account_settings(response.ec2_backend)
    exception = {"ManagedExceptionMessage": message} if message else {}
    return ActionResult(
        {"AccountLevel": {**metadata_defaults(settings), "ManagedBy": managed_by, **exception}}
    )


def modify_instance_metadata_defaults(response):
    from moto.core.responses import ActionResult

    _refuse_if_declared(response)
    settings = account_settings(response.ec2_backend)[0]
    for name, parameter in _METADATA_PARAMETERS.items():
        if response._get_param(parameter) is not None:
            settings[name] = str(response._get_param(parameter))
    return ActionResult({"Return": True})


def _serial_console_apis() -> dict:
    from moto.core.responses import ActionResult

    def get_serial_console_access_status(response) -> ActionResult:
        settings, managed_by, _ = account_settings(response.ec2_backend)
        enabled = settings["serial_console_access"] == "enabled"
        return ActionResult({"SerialConsoleAccessEnabled": enabled, "ManagedBy": managed_by})

    def setting(status: str):
        def change(response) -> ActionResult:
            _refuse_if_declared(response)
            account_settings(response.ec2_backend)[0]["serial_console_access"] = status
            return ActionResult({"SerialConsoleAccessEnabled": status == "enabled"})

        return change

    return {
        "get_serial_console_access_status": get_serial_console_access_status,
        "enable_serial_console_access": setting("enabled"),
        "disable_serial_console_access": setting("disabled"),
    }


@extension
def account_level_settings() -> None:
    """EC2's account-level protections, which moto lacks: image and snapshot block public access,
    the instance metadata defaults and serial console access, per account and region, each read
    back with who manages it (ManagedBy) and unchangeable where an EC2 declarative policy sets
    it. They act: a new instance takes the metadata defaults it does not set itself, and an AMI
    or snapshot cannot be shared with everyone (group `all`) while public sharing is blocked."""
    from moto.ec2.responses.settings import Settings

    handlers = {
        **_public_sharing_apis("image_block_public_access", "ImageBlockPublicAccessState"),
        **_public_sharing_apis("snapshot_block_public_access", "State"),
        **_serial_console_apis(),
        "get_instance_metadata_defaults": get_instance_metadata_defaults,
        "modify_instance_metadata_defaults": modify_instance_metadata_defaults,
    }
    for handler_name, handler in handlers.items():
        setattr(Settings, handler_name, handler)
    _settings_act()


def _settings_act() -> None:
    from moto.ec2.exceptions import OperationNotPermitted
    from moto.ec2.models.amis import AmiBackend
    from moto.ec2.models.elastic_block_store import EBSBackend
    from moto.ec2.models.instances import InstanceBackend

    def with_metadata_defaults(run_instances):
        def run_instances_with_metadata_defaults(backend, *args, **kwargs):
            defaults = metadata_defaults(account_settings(backend)[0])
            chosen = {k: v for k, v in defaults.items() if v not in ("no-preference", -1)}
            kwargs["metadata_options"] = {**chosen, **(kwargs.get("metadata_options") or {})}
            return run_instances(backend, *args, **kwargs)

        return run_instances_with_metadata_defaults

    def blocked(backend, setting: str, what: str) -> None:
        if account_settings(backend)[0][setting] != "unblocked":
            raise OperationNotPermitted(
                f"Block public access for {what} is on in this account and region: "
                f"{what} cannot be shared publicly."
            )

    def unless_public_snapshots_blocked(add_create_volume_permission):
        def add_unless_blocked(backend, snapshot_id, user_ids, groups):
            if "all" in groups:
                blocked(backend, "snapshot_block_public_access", "snapshots")
            add_create_volume_permission(backend, snapshot_id, user_ids=user_ids, groups=groups)

        return add_unless_blocked

    def unless_public_images_blocked(modify_image_attribute):
        def modify_unless_blocked(backend, ami_id, launch_permissions_to_add, *args):
            if {"Group": "all"} in launch_permissions_to_add:
                blocked(backend, "image_block_public_access", "AMIs")
            modify_image_attribute(backend, ami_id, launch_permissions_to_add, *args)

        return modify_unless_blocked

    wrap(InstanceBackend, "run_instances", with_metadata_defaults)
    wrap(EBSBackend, "add_create_volume_permission", unless_public_snapshots_blocked)
    wrap(AmiBackend, "modify_image_attribute", unless_public_images_blocked)
